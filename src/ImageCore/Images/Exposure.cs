using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Images;

/// <summary>A <see cref="MaskedImage"/> with its metadata header (afw's ExposureF, without WCS or PSF yet).</summary>
public sealed class Exposure : IDisposable
{
    /// <summary>Wraps a masked image (ownership passes) and metadata (a new empty header when null).</summary>
    public Exposure(MaskedImage maskedImage, FitsHeader? metadata = null)
    {
        MaskedImage = maskedImage ?? throw new ArgumentNullException(nameof(maskedImage));
        Metadata = metadata ?? new FitsHeader();
    }

    /// <summary>The pixels, mask and variance.</summary>
    public MaskedImage MaskedImage { get; }

    /// <summary>Metadata cards (written to the primary HDU).</summary>
    public FitsHeader Metadata { get; }

    /// <summary>The exposure's box in parent coordinates.</summary>
    public Box2I BBox => MaskedImage.BBox;

    /// <summary>Returns all planes to their pool.</summary>
    public void Dispose() => MaskedImage.Dispose();
}
