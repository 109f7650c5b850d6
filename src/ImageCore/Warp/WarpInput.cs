using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Warp;

/// <summary>
/// The source of a warp read from a file: an exposure in the afw layout (IMAGE, MASK, VARIANCE), or else the first 2-D
/// image HDU with a celestial WCS (the image alone). Planes stored as their values (float32 image and variance, int32
/// mask, no BSCALE/BZERO: what ImageCore and afw write) are used as stored, the warp loop swapping their big-endian
/// values as it loads them (<see cref="BigEndianImage"/>): mapped under a read lease where one can be had
/// (<see cref="LeasedMapping"/>: no copy, no fresh memory; the caller checks <see cref="ThrowIfChanged"/> between
/// bands), else read as stored (<see cref="StoredImageData"/>). A plain mapping is never used: a mapped input cut short
/// while it is warped would kill the process (SIGBUS) instead of failing the warp. Other planes are read and converted
/// into native planes.
/// </summary>
internal sealed unsafe class WarpInput : IDisposable
{
    private MaskedImage? _exposure;
    private Image<float>? _image;
    private StoredImageData? _stored;
    private LeasedMapping? _mapped;
    private WarpSource _planes;

    private WarpInput() { }

    /// <summary>The primary header's cards (an exposure) or the image HDU's header (an image alone).</summary>
    public FitsHeader Metadata { get; private init; } = null!;

    /// <summary>The source's celestial WCS in its parent pixel frame (the frame of <see cref="BBox"/>), or null when the
    /// file has none. It is read where afw writes it, the image HDU (its file pixels moved by xy0), and else from the
    /// primary header; where both hold one they must agree to <see cref="SkyWcs.AgreementTolerance"/> pixels.</summary>
    public SkyWcs? Wcs { get; private init; }

    /// <summary>The source planes' box (xy0 from LTV1/LTV2 for an exposure).</summary>
    public Box2I BBox { get; private init; }

    /// <summary>The mask planes and their bits; null for an image alone.</summary>
    public IReadOnlyDictionary<string, int>? MaskPlanes { get; private init; }

    /// <summary>The exposure's PSF (its <c>PSF</c> extension, <see cref="PsfFits"/>), or null when it has none (a post-ISR
    /// exposure, an image alone).</summary>
    public IPsf? Psf { get; private init; }

    /// <summary>The planes for the warp loop (valid while this is not disposed).</summary>
    public WarpSource Planes => _planes;

    /// <summary>An exposure, or else the first 2-D image HDU with a celestial WCS.</summary>
    /// <exception cref="FitsFormatException">Neither, or a malformed or truncated file.</exception>
    public static WarpInput Read(string path)
    {
        using var file = FitsFile.Open(path);
        if (file.FindHdu("IMAGE") is not null || file.FindHdu("MASK") is not null || file.FindHdu("VARIANCE") is not null)
            return Exposure(path, file);   // an exposure missing a plane (cut short?) is refused there, not taken for a plain image
        foreach (var hdu in file.Hdus)
        {
            if (hdu.Header.GetInt64("NAXIS", 0) != 2 || !hdu.Header.Contains("CTYPE1")) continue;
            if (hdu.Width > int.MaxValue || hdu.Height > int.MaxValue)
                throw new FitsFormatException(path, hdu.Index, -1, "NAXIS1", $"{hdu.Width} x {hdu.Height} pixels is too large to warp");
            var bbox = new Box2I(0, 0, (int)hdu.Width, (int)hdu.Height);
            var wcs = HduWcs.Read(hdu, hdu.Index > 0 ? file[0].Header : null, bbox);
            if (StoredImageData.IsRaw(hdu, -32))
            {
                var (mapped, stored) = Load(path, file, [hdu]);
                void* data = mapped is not null ? mapped.Data(hdu) : stored!.Data(hdu);
                return new WarpInput
                {
                    _mapped = mapped, _stored = stored, _planes = new WarpSource((float*)data, null, null, bbox.Width, bbox.Height, default),
                    Metadata = hdu.Header, Wcs = wcs, BBox = bbox,
                };
            }
            var image = new Image<float>(file.ReadImage<float>(hdu));
            return new WarpInput { _image = image, _planes = new WarpSource(image), Metadata = hdu.Header, Wcs = wcs, BBox = image.BBox };
        }
        throw new FitsFormatException(path, -1, -1, "CTYPE1", "neither an exposure (IMAGE, MASK, VARIANCE) nor a 2-D image with a celestial WCS");
    }

    /// <summary>An exposure in the afw layout.</summary>
    /// <exception cref="FitsFormatException">Not an exposure, or a malformed or truncated file.</exception>
    public static WarpInput ReadExposure(string path)
    {
        using var file = FitsFile.Open(path);
        return Exposure(path, file);
    }

    private static WarpInput Exposure(string path, FitsFile file)
    {
        var layout = ExposureFits.ReadLayout(file);
        var wcs = HduWcs.Read(layout.Image, layout.Metadata, layout.BBox);
        var psf = layout.Psf is null ? null : PsfFits.Read(file, layout.Psf);
        if (StoredImageData.IsRaw(layout.Image, -32) && StoredImageData.IsRaw(layout.Variance, -32) && StoredImageData.IsRaw(layout.Mask, 32))
        {
            var (mapped, stored) = Load(path, file, [layout.Image, layout.Variance, layout.Mask]);
            void* Data(FitsHdu hdu) => mapped is not null ? mapped.Data(hdu) : stored!.Data(hdu);
            var bbox = layout.BBox;
            var planes = new WarpSource((float*)Data(layout.Image), (float*)Data(layout.Variance), (int*)Data(layout.Mask), bbox.Width, bbox.Height, bbox.Min);
            var maskPlanes = layout.MaskPlanes.ToDictionary(p => p.Name, p => p.Bit);
            return new WarpInput { _mapped = mapped, _stored = stored, _planes = planes, Metadata = layout.Metadata, Wcs = wcs, BBox = bbox, MaskPlanes = maskPlanes, Psf = psf };
        }
        var exposure = ExposureFits.Read(file, layout);
        var mi = exposure.MaskedImage;
        return new WarpInput { _exposure = mi, _planes = new WarpSource(mi), Metadata = exposure.Metadata, Wcs = wcs, BBox = mi.BBox, MaskPlanes = mi.Mask.Planes, Psf = psf };
    }

    /// <summary>The file mapped under a read lease, or else its HDUs' data read as stored.</summary>
    private static (LeasedMapping? Mapped, StoredImageData? Stored) Load(string path, FitsFile file, FitsHdu[] hdus)
    {
        foreach (var hdu in hdus) file.CheckPresent(hdu);   // before anything is mapped or rented, so that nothing leaks on a short file
        var mapped = LeasedMapping.TryOpen(path, file.Length);
        return mapped is not null ? (mapped, null) : (null, StoredImageData.Read(file, hdus));
    }

    /// <summary>Whether the planes are mapped from the file (under a lease) rather than read.</summary>
    internal bool IsMapped => _mapped is not null;

    /// <summary>Throws when the file the planes are mapped from is being changed by another process: the warp must stop
    /// and dispose of this input (which lets the other process go on). Nothing to check for planes read into memory.</summary>
    /// <exception cref="FitsFormatException">Another process opened the file for writing or truncated it.</exception>
    public void ThrowIfChanged() => _mapped?.ThrowIfBroken();

    /// <summary>Frees the planes, or unmaps the file and lets go of its lease.</summary>
    public void Dispose()
    {
        _exposure?.Dispose();
        _image?.Dispose();
        _stored?.Dispose();
        _mapped?.Dispose();
    }
}
