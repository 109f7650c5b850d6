using System.Globalization;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Isr;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// The stored size in bytes of every calibration dataset a simulated campaign reads: what a <see cref="CalibrationDirectory"/>
/// would count for it (<see cref="CalibrationDirectory.BytesRead"/>). Sizes come from a real calibration directory
/// (<see cref="FromDirectory"/>: exact, per detector) or from one detector's files carried to the full-size camera
/// (<see cref="FullScale"/>: the FITS headers as they are, each image HDU's data for the full detector's pixels).
/// A dataset with no size (a detector without a defects file) is served without a store read, as the directory does.
/// </summary>
public sealed class CalibrationCatalog
{
    private readonly Dictionary<(CalibrationType, string), long?> _sizes;
    private readonly Dictionary<CalibrationType, long?>? _template;

    private CalibrationCatalog(Dictionary<(CalibrationType, string), long?> sizes, Dictionary<CalibrationType, long?>? template, string source) =>
        (_sizes, _template, Source) = (sizes, template, source);

    /// <summary>Where the sizes came from (for reports).</summary>
    public string Source { get; }

    /// <summary>The stored bytes of <paramref name="type"/> for <paramref name="detector"/>, or null when that dataset does
    /// not exist and is served without a read (only defects may be missing).</summary>
    /// <exception cref="KeyNotFoundException">The catalog has no size for a required dataset of that detector.</exception>
    public long? SizeOf(CalibrationType type, string detector)
    {
        if (_sizes.TryGetValue((type, detector), out long? size)) return size;
        if (_template is not null && _template.TryGetValue(type, out size)) return size;
        if (type == CalibrationType.Defects) return null;
        throw new KeyNotFoundException($"calibration catalog ({Source}) has no {type.ToString().ToLowerInvariant()} for detector {detector}");
    }

    /// <summary>The sizes of the files under <paramref name="calibRoot"/> (laid out as <see cref="CalibrationDirectory"/>
    /// reads them; flats of <paramref name="band"/>), per detector.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static CalibrationCatalog FromDirectory(string calibRoot, string band)
    {
        ArgumentNullException.ThrowIfNull(calibRoot);
        ArgumentNullException.ThrowIfNull(band);
        if (!Directory.Exists(calibRoot)) throw new DirectoryNotFoundException($"calibration directory {calibRoot} does not exist");
        var sizes = new Dictionary<(CalibrationType, string), long?>();
        foreach (var (type, dir, ext) in Layout(band))
        {
            string path = Path.Combine(calibRoot, dir);
            if (!Directory.Exists(path)) continue;
            foreach (string file in Directory.GetFiles(path, "*" + ext))
                sizes[(type, Path.GetFileNameWithoutExtension(file))] = new FileInfo(file).Length;
        }
        var detectors = sizes.Keys.Select(k => k.Item2).Distinct().ToList();
        foreach (string d in detectors) sizes.TryAdd((CalibrationType.Defects, d), null);
        return new CalibrationCatalog(sizes, null, $"files under {Path.GetFullPath(calibRoot)}");
    }

    /// <summary>
    /// Sizes for every detector of the full-size <paramref name="camera"/>, from the files of one detector under
    /// <paramref name="calibRoot"/> (any simulation scale): a JSON file's size as it is; a FITS file's header blocks as they
    /// are and each image HDU's data (bytes per pixel as stored) for the full detector's trimmed box, padded to 2880-byte blocks.
    /// </summary>
    /// <exception cref="ArgumentException">The directory holds no bias file to take the template from.</exception>
    public static CalibrationCatalog FullScale(string calibRoot, string band, CameraModel camera)
    {
        ArgumentNullException.ThrowIfNull(camera);
        var found = FromDirectory(calibRoot, band);
        string detector = found._sizes.Keys.Where(k => k.Item1 == CalibrationType.Bias).Select(k => k.Item2).Order(StringComparer.Ordinal).FirstOrDefault()
            ?? throw new ArgumentException($"{calibRoot}: no bias/DET.fits to take calibration sizes from");
        var full = camera.Detectors.First(d => d.Name == detector).BBox;
        var template = new Dictionary<CalibrationType, long?>();
        foreach (var (type, dir, ext) in Layout(band))
        {
            string path = Path.Combine(calibRoot, dir, detector + ext);
            if (!File.Exists(path)) { template[type] = null; continue; }
            template[type] = ext == ".fits" ? FullScaleFitsBytes(path, (long)full.Width * full.Height) : new FileInfo(path).Length;
        }
        if (template[CalibrationType.Defects] is null) template.Remove(CalibrationType.Defects);
        return new CalibrationCatalog([], template, string.Create(CultureInfo.InvariantCulture,
            $"{detector}'s files under {Path.GetFullPath(calibRoot)} carried to {full.Width}x{full.Height} pixels per detector"));
    }

    /// <summary>A catalog with the same size for every detector: <paramref name="sizes"/> per type (null: served without a read).</summary>
    public static CalibrationCatalog Uniform(IReadOnlyDictionary<CalibrationType, long?> sizes, string source)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        return new CalibrationCatalog([], sizes.ToDictionary(p => p.Key, p => p.Value), source);
    }

    private static long FullScaleFitsBytes(string path, long fullPixels)
    {
        using var file = FitsFile.Open(path);
        long total = 0;
        foreach (var hdu in file.Hdus)
        {
            long data = hdu.HasImageData ? hdu.DataBytes / hdu.PixelCount * fullPixels : hdu.DataBytes;
            total += FitsConstants.PadToBlock(data);
        }
        long headers = file.Length - file.Hdus.Sum(h => FitsConstants.PadToBlock(h.DataBytes));
        return headers + total;
    }

    private static IEnumerable<(CalibrationType Type, string Dir, string Ext)> Layout(string band) =>
    [
        (CalibrationType.Bias, "bias", ".fits"), (CalibrationType.Dark, "dark", ".fits"), (CalibrationType.Flat, Path.Combine("flat", band), ".fits"),
        (CalibrationType.Defects, "defects", ".json"), (CalibrationType.Crosstalk, "crosstalk", ".json"),
        (CalibrationType.Linearity, "linearity", ".json"), (CalibrationType.Amplifiers, "amps", ".json"),
    ];
}
