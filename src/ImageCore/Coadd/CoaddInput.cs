using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Coadd;

/// <summary>
/// One warp of a coadd, read in row ranges: an ImageCore exposure (IMAGE, MASK, VARIANCE in the afw layout) or a
/// plain single-image FITS file (then the mask is NO_DATA where the image is not finite, and there is no variance).
/// Every read checks the rows it got; a failed or short read throws <see cref="CoaddInputException"/> naming the
/// input and the rows.
/// </summary>
public sealed class CoaddInput : IDisposable
{
    private readonly FitsFile? _file;
    private readonly FitsHdu? _image, _mask, _variance;
    private readonly MaskedImage? _memory;   // an exposure in memory instead of a file (not owned)
    private readonly IPsf? _psf;             // its PSF

    private CoaddInput(FitsFile file, FitsHdu image, FitsHdu? mask, FitsHdu? variance, FitsHeader metadata, IReadOnlyDictionary<string, int> planes)
    {
        (_file, _image, _mask, _variance) = (file, image, mask, variance);
        Name = file.Name;
        Metadata = metadata;
        MaskPlanes = planes;
        var xy0 = ExposureFits.ReadXy0(image);
        BBox = new Box2I(xy0.X, xy0.Y, (int)image.Width, (int)image.Height);
        HasVariance = variance is not null;
        Wcs = HduWcs.Read(image, image.Index > 0 ? file[0].Header : null, BBox);
    }

    private CoaddInput(Exposure exposure, string name)
    {
        _memory = exposure.MaskedImage;
        _psf = exposure.Psf;
        Name = name;
        Metadata = exposure.Metadata;
        MaskPlanes = exposure.Mask.Planes;
        BBox = exposure.BBox;
        HasVariance = true;
        Wcs = exposure.Wcs;
    }

    /// <summary>An exposure in memory as a coadd input, named <paramref name="name"/> in messages and in the coadd's
    /// metadata. The input reads the exposure's planes and does not own them: keep the exposure until the coadd is made.</summary>
    /// <exception cref="FitsFormatException">The exposure's metadata hold a malformed WCS.</exception>
    public static CoaddInput FromExposure(Exposure exposure, string name)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new CoaddInput(exposure, name);
    }

    /// <summary>The input's pixel box in its parent frame (xy0 from the image HDU's LTV1/LTV2).</summary>
    public Box2I BBox { get; }

    /// <summary>The input's celestial WCS in its parent frame (<see cref="HduWcs"/>), or null when it has none.</summary>
    public SkyWcs? Wcs { get; }

    /// <summary>The input's name (its path, or the name given to <see cref="FromExposure"/>) for messages.</summary>
    public string Name { get; }

    /// <summary>Pixels per row.</summary>
    public int Width => BBox.Width;

    /// <summary>Rows.</summary>
    public int Height => BBox.Height;

    /// <summary>True for an exposure (mask and variance planes); false for a plain image.</summary>
    public bool HasVariance { get; }

    /// <summary>The exposure's metadata (primary header), or the plain image's header.</summary>
    public FitsHeader Metadata { get; }

    /// <summary>Mask plane names and bits (afw's defaults for a plain image).</summary>
    public IReadOnlyDictionary<string, int> MaskPlanes { get; }

    /// <summary>The input's PSF: its <c>PSF</c> extension (<see cref="PsfFits"/>; a direct warp's <see cref="CoaddPsf"/>),
    /// or the exposure's <see cref="Exposure.Psf"/>; null when it has none. Read on each call; not while rows are read.</summary>
    /// <exception cref="CoaddInputException">The PSF extension is malformed (the message names the keyword).</exception>
    public IPsf? ReadPsf()
    {
        if (_file is null) return _psf;
        try { return PsfFits.Read(_file); }
        catch (Exception e) when (e is FitsFormatException or UnsupportedWcsException or IOException && e is not CoaddInputException)
        {
            throw new CoaddInputException(Name, e.Message, e);
        }
    }

    /// <summary>Opens <paramref name="name"/> from <paramref name="stream"/> (owned by the input from then on).</summary>
    /// <exception cref="CoaddInputException">Not an exposure or a 2-D image, or unreadable.</exception>
    public static CoaddInput Open(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        FitsFile? file = null;
        try
        {
            file = new FitsFile(stream, name, ownsStream: true);
            if (file.FindHdu("IMAGE") is { } image && file.FindHdu("VARIANCE") is { } variance && file.FindHdu("MASK") is { } mask)
            {
                foreach (var h in new[] { mask, variance })
                    if (h.Width != image.Width || h.Height != image.Height)
                        throw new CoaddInputException(name, $"{h.ExtName} is {h.Width}x{h.Height} but IMAGE is {image.Width}x{image.Height}");
                if (mask.Bitpix != 32) throw new CoaddInputException(name, $"MASK must be int32 (BITPIX 32), not BITPIX {mask.Bitpix}");
                var planes = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var c in mask.Header)
                    if (c.Keyword.StartsWith("MP_", StringComparison.Ordinal) && c.Kind == FitsValueKind.Integer) planes[c.Keyword[3..]] = (int)(long)c.Value!;
                if (planes.Count == 0)
                    for (int i = 0; i < Mask.DefaultPlanes.Count; i++) planes[Mask.DefaultPlanes[i]] = i;
                return new CoaddInput(file, image, mask, variance, file[0].Header, planes);
            }
            if (file.FindHdu("IMAGE") is not null || file.FindHdu("MASK") is not null || file.FindHdu("VARIANCE") is not null)
                throw new CoaddInputException(name, $"has {string.Join(" and ", new[] { "IMAGE", "MASK", "VARIANCE" }.Where(p => file.FindHdu(p) is not null))} "
                                                    + $"but no {string.Join(" or ", new[] { "IMAGE", "MASK", "VARIANCE" }.Where(p => file.FindHdu(p) is null))}: "
                                                    + "an exposure missing planes (cut short?), not a plain image");
            foreach (var hdu in file.Hdus)
            {
                if (hdu.Header.GetInt64("NAXIS", 0) != 2 || hdu.Width == 0 || hdu.Height == 0) continue;
                var defaults = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int i = 0; i < Mask.DefaultPlanes.Count; i++) defaults[Mask.DefaultPlanes[i]] = i;
                return new CoaddInput(file, hdu, null, null, hdu.Header, defaults);
            }
            throw new CoaddInputException(name, "neither an exposure (IMAGE, MASK, VARIANCE) nor a 2-D image");
        }
        catch (Exception e) when (e is not CoaddInputException)
        {
            file?.Dispose();
            if (file is null) stream.Dispose();
            throw new CoaddInputException(name, e.Message, e);
        }
        catch
        {
            file?.Dispose();
            throw;
        }
    }

    /// <summary>Opens the file at <paramref name="path"/>.</summary>
    /// <exception cref="CoaddInputException">Missing, unreadable, or not an image.</exception>
    public static CoaddInput Open(string path)
    {
        FileStream fs;
        try { fs = InputFile.OpenRead(path); }
        catch (IOException e) { throw new CoaddInputException(path, e.Message, e); }
        return Open(fs, path);
    }

    /// <summary>Reads rows <paramref name="firstRow"/>.. of every plane into the given views (all as tall as the rows
    /// wanted, <see cref="Width"/> wide). A plain image's mask gets NO_DATA (bit <paramref name="noDataBit"/>) where the
    /// image is not finite; its variance view is left untouched.</summary>
    /// <exception cref="CoaddInputException">The read failed or came up short.</exception>
    public void ReadRows(int firstRow, Span2D<float> image, Span2D<int> mask, Span2D<float> variance, int noDataBit)
    {
        ReadRowsAsStored(firstRow, image, mask, variance, noDataBit);
        AltMask?.Apply(firstRow, mask);
    }

    /// <summary>Changes made to the mask of every read (CompareWarp's artifact, NO_DATA and EDGE masks of this warp),
    /// in memory only; null reads the mask as stored.</summary>
    internal VisitAltMask? AltMask { get; set; }

    private void ReadRowsAsStored(int firstRow, Span2D<float> image, Span2D<int> mask, Span2D<float> variance, int noDataBit)
    {
        if (_memory is not null)
        {
            if (firstRow < 0 || firstRow + image.Height > Height)
                throw new CoaddInputException(Name, $"rows {firstRow}..{firstRow + image.Height - 1} are outside 0..{Height - 1}");
            _memory.Image.Pixels.Slice(firstRow, 0, image.Height, Width).CopyTo(image);
            _memory.Mask.Image.Pixels.Slice(firstRow, 0, image.Height, Width).CopyTo(mask);
            _memory.Variance.Pixels.Slice(firstRow, 0, image.Height, Width).CopyTo(variance);
            return;
        }
        try
        {
            _file!.ReadRows(_image!, firstRow, image);
            if (_mask is not null && _variance is not null)
            {
                _file.ReadRows(_mask, firstRow, mask);
                _file.ReadRows(_variance, firstRow, variance);
                return;
            }
            for (int y = 0; y < image.Height; y++)
            {
                var row = image.GetRowSpan(y);
                var m = mask.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) m[x] = float.IsFinite(row[x]) ? 0 : 1 << noDataBit;
            }
        }
        catch (Exception e) when (e is IOException or FitsFormatException or NotSupportedException or ArgumentException or ObjectDisposedException)
        {
            throw new CoaddInputException(Name, $"rows {firstRow}..{firstRow + image.Height - 1}: {e.Message}", e);
        }
    }

    /// <summary>Closes the file (an exposure in memory stays its owner's).</summary>
    public void Dispose() => _file?.Dispose();
}

/// <summary>A coadd input could not be opened or read: the coadd fails, naming the input (and the rows).</summary>
public sealed class CoaddInputException : IOException
{
    /// <summary>Creates the exception: "INPUT: message" (a message that already starts with the input's name keeps it once).</summary>
    public CoaddInputException(string input, string message, Exception? inner = null)
        : base(message.StartsWith(input + ": ", StringComparison.Ordinal) || message.StartsWith(input + ", ", StringComparison.Ordinal) ? message : $"{input}: {message}", inner) =>
        Input = input;

    /// <summary>The input that failed.</summary>
    public string Input { get; }
}
