namespace ImageCore.Fits;

/// <summary>How <see cref="FitsWriter.WriteImage{T}(FitsHeader?, CommunityToolkit.HighPerformance.ReadOnlySpan2D{T}, FitsImageOptions?, CancellationToken)"/> stores an image.</summary>
public sealed record FitsImageOptions
{
    /// <summary>NAXIS1..NAXISn to record; null means [width, height] of the pixels (or [width] when the
    /// height is 1 and <see cref="OneDimensional"/> is set). Their product must equal the pixel count.</summary>
    public long[]? Axes { get; init; }

    /// <summary>Write a 1-row image as NAXIS = 1.</summary>
    public bool OneDimensional { get; init; }

    /// <summary>BSCALE for integer pixel types: the pixels given are stored values and
    /// physical = stored * BSCALE + BZERO. Must be 1 for float and unsigned pixel types.</summary>
    public double BScale { get; init; } = 1;

    /// <summary>BZERO for integer pixel types (see <see cref="BScale"/>). Unsigned types set their own.</summary>
    public double BZero { get; init; }

    /// <summary>BLANK: the stored value that marks undefined pixels (integer types only).</summary>
    public long? Blank { get; init; }
}
