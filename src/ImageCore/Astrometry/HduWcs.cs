using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Astrometry;

/// <summary>
/// The celestial WCS of an image plane, read where afw writes it: the image HDU's own header (its file pixels, moved
/// into the parent frame by xy0), else the primary header (parent pixels, where ImageCore's metadata carry it). Where
/// both hold one they must be the same WCS (within <see cref="SkyWcs.AgreementTolerance"/> pixels over the image):
/// two different answers in one file are refused rather than one of them silently picked.
/// </summary>
public static class HduWcs
{
    /// <summary>The WCS of <paramref name="image"/> in the parent frame of <paramref name="bbox"/> (whose minimum is
    /// xy0), or null when neither header has one (no CTYPE1).</summary>
    /// <param name="image">The image HDU.</param>
    /// <param name="primary">The primary header, or null when the image is the primary HDU.</param>
    /// <param name="bbox">The image's box in its parent frame.</param>
    /// <exception cref="FitsFormatException">A malformed WCS (an absurd or singular CD matrix, say), or two that disagree.</exception>
    /// <exception cref="UnsupportedWcsException">A projection or frame ImageCore does not read.</exception>
    public static SkyWcs? Read(FitsHdu image, FitsHeader? primary, Box2I bbox)
    {
        ArgumentNullException.ThrowIfNull(image);
        var inImage = image.Header.Contains("CTYPE1") ? SkyWcs.FromHeader(image.Header).WithPixelOrigin(-bbox.MinX, -bbox.MinY) : null;
        var inPrimary = primary is not null && !ReferenceEquals(primary, image.Header) && primary.Contains("CTYPE1") ? SkyWcs.FromHeader(primary) : null;
        if (inImage is not null && inPrimary is not null)
        {
            double apart = inImage.MaxPixelDifference(inPrimary, bbox);
            if (!(apart <= SkyWcs.AgreementTolerance))
                throw new FitsFormatException(image.Header.Source, image.Index, -1, "CRPIX1",
                    $"the WCS of this HDU and the primary header's disagree by {apart:G3} pixels (more than {SkyWcs.AgreementTolerance}): which one is right cannot be told");
        }
        return inImage ?? inPrimary;
    }
}
