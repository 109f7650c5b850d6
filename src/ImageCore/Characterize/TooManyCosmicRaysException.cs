namespace ImageCore.Characterize;

/// <summary>
/// More pixels looked like cosmic rays than <see cref="CosmicRayConfig.MaxPixels"/> allows (meas_algorithms'
/// TooManyCosmicRays): usually a frame that is not in electrons, a variance plane that does not match the image, or a
/// frame full of structure. The exposure is left as it was.
/// </summary>
public sealed class TooManyCosmicRaysException : Exception
{
    /// <summary>An exception for <paramref name="pixels"/> flagged pixels over a limit of <paramref name="limit"/>
    /// after <paramref name="iteration"/> iterations.</summary>
    public TooManyCosmicRaysException(long pixels, long limit, int iteration)
        : base($"{pixels} pixels look like cosmic rays after iteration {iteration}, more than CosmicRayConfig.MaxPixels = {limit}")
    {
        Pixels = pixels;
        Limit = limit;
        Iteration = iteration;
    }

    /// <summary>Pixels flagged when the limit was passed.</summary>
    public long Pixels { get; }

    /// <summary>The limit (<see cref="CosmicRayConfig.MaxPixels"/>).</summary>
    public long Limit { get; }

    /// <summary>The iteration (1-based) that passed the limit.</summary>
    public int Iteration { get; }
}
