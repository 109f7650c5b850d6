using ImageCore.Fits;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>
/// The source of a warp read from a file: an exposure in the afw layout (IMAGE, MASK, VARIANCE), or else the first 2-D
/// image HDU with a celestial WCS (the image alone). Planes stored as their values (float32 image and variance, int32
/// mask, no BSCALE/BZERO: what ImageCore and afw write) are mapped from the file rather than read: no copy and no fresh
/// memory, the warp loop swapping their big-endian values as it loads them (<see cref="BigEndianImage"/>). Other
/// planes, and files that cannot be mapped, are read into memory.
/// </summary>
internal sealed unsafe class WarpInput : IDisposable
{
    private MaskedImage? _exposure;
    private Image<float>? _image;
    private MappedFitsFile? _mapped;
    private WarpSource _planes;

    private WarpInput() { }

    /// <summary>The primary header's cards (an exposure) or the image HDU's header (an image alone).</summary>
    public FitsHeader Metadata { get; private init; } = null!;

    /// <summary>The header that holds the celestial WCS: the metadata, or an exposure's IMAGE header if the metadata have none.</summary>
    public FitsHeader WcsHeader { get; private init; } = null!;

    /// <summary>The source planes' box (xy0 from LTV1/LTV2 for an exposure).</summary>
    public Box2I BBox { get; private init; }

    /// <summary>The mask planes and their bits; null for an image alone.</summary>
    public IReadOnlyDictionary<string, int>? MaskPlanes { get; private init; }

    /// <summary>The planes for the warp loop (valid while this is not disposed).</summary>
    public WarpSource Planes => _planes;

    /// <summary>An exposure, or else the first 2-D image HDU with a celestial WCS.</summary>
    /// <exception cref="FitsFormatException">Neither, or a malformed or truncated file.</exception>
    public static WarpInput Read(string path)
    {
        using var file = FitsFile.Open(path);
        if (file.FindHdu("IMAGE") is not null && file.FindHdu("VARIANCE") is not null) return Exposure(path, file);
        foreach (var hdu in file.Hdus)
        {
            if (hdu.Header.GetInt64("NAXIS", 0) != 2 || !hdu.Header.Contains("CTYPE1")) continue;
            var bbox = new Box2I(0, 0, (int)hdu.Width, (int)hdu.Height);
            if (MappedFitsFile.IsRaw(hdu, -32) && TryMap(path, file) is { } mapped)
            {
                try
                {
                    return new WarpInput
                    {
                        _mapped = mapped, _planes = new WarpSource((float*)mapped.Data(hdu), null, null, bbox.Width, bbox.Height, default),
                        Metadata = hdu.Header, WcsHeader = hdu.Header, BBox = bbox,
                    };
                }
                catch
                {
                    mapped.Dispose();
                    throw;
                }
            }
            var image = new Image<float>(file.ReadImage<float>(hdu));
            return new WarpInput { _image = image, _planes = new WarpSource(image), Metadata = hdu.Header, WcsHeader = hdu.Header, BBox = image.BBox };
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
        var wcsHeader = layout.Metadata.Contains("CTYPE1") ? layout.Metadata : layout.Image.Header;
        if (MappedFitsFile.IsRaw(layout.Image, -32) && MappedFitsFile.IsRaw(layout.Variance, -32) && MappedFitsFile.IsRaw(layout.Mask, 32)
            && TryMap(path, file) is { } mapped)
        {
            try
            {
                var bbox = layout.BBox;
                var planes = new WarpSource((float*)mapped.Data(layout.Image), (float*)mapped.Data(layout.Variance), (int*)mapped.Data(layout.Mask), bbox.Width, bbox.Height, bbox.Min);
                var maskPlanes = layout.MaskPlanes.ToDictionary(p => p.Name, p => p.Bit);
                return new WarpInput { _mapped = mapped, _planes = planes, Metadata = layout.Metadata, WcsHeader = wcsHeader, BBox = bbox, MaskPlanes = maskPlanes };
            }
            catch
            {
                mapped.Dispose();
                throw;
            }
        }
        var exposure = ExposureFits.Read(file, layout);
        var mi = exposure.MaskedImage;
        return new WarpInput { _exposure = mi, _planes = new WarpSource(mi), Metadata = exposure.Metadata, WcsHeader = wcsHeader, BBox = mi.BBox, MaskPlanes = mi.Mask.Planes };
    }

    /// <summary>The file mapped, or null where it cannot be (a file system without mappings, say): then it is read.</summary>
    private static MappedFitsFile? TryMap(string path, FitsFile file)
    {
        try { return MappedFitsFile.Open(path, file); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Frees the planes or unmaps the file.</summary>
    public void Dispose()
    {
        _exposure?.Dispose();
        _image?.Dispose();
        _mapped?.Dispose();
    }
}
