using ImageCore.Geometry;

namespace ImageCore.Characterize;

/// <summary>
/// The background of an image cannot be measured: no bin has enough good pixels (every pixel masked by one of the
/// ignored planes, or not finite). The message names the image box, the planes ignored and how many pixels were
/// good, so the quantum that failed can be reported and skipped; a model is never made of NaN.
/// </summary>
public sealed class BackgroundException : InvalidOperationException
{
    /// <summary>An image whose background cannot be measured.</summary>
    /// <param name="bbox">The image's box, parent coordinates.</param>
    /// <param name="goodPixels">How many pixels were good (unmasked and finite).</param>
    /// <param name="message">What went wrong.</param>
    public BackgroundException(Box2I bbox, long goodPixels, string message) : base(message)
    {
        BBox = bbox;
        GoodPixels = goodPixels;
    }

    /// <summary>The image's box, parent coordinates.</summary>
    public Box2I BBox { get; }

    /// <summary>How many of its pixels were good.</summary>
    public long GoodPixels { get; }
}
