using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>A calibration is missing or does not fit the exposure; the message names the calibration and its file.</summary>
public sealed class CalibrationException(string calibration, string path, string problem)
    : Exception($"{calibration} ({path}): {problem}")
{
    /// <summary>Which calibration: bias, dark, flat or defects.</summary>
    public string Calibration { get; } = calibration;

    /// <summary>The file it was read from (or would have been).</summary>
    public string Path { get; } = path;
}

/// <summary>Where ISR gets its master calibrations. A directory of files today; the calibration cache of
/// a later issue sits in front of it. Returned exposures are the caller's to dispose.</summary>
public interface ICalibrationSource
{
    /// <summary>The master bias of <paramref name="detector"/>, electrons.</summary>
    Exposure GetBias(Detector detector);

    /// <summary>The master dark of <paramref name="detector"/>, electrons per second of DARKTIME.</summary>
    Exposure GetDark(Detector detector);

    /// <summary>The master flat of <paramref name="detector"/> in <paramref name="band"/>.</summary>
    Exposure GetFlat(Detector detector, string band);

    /// <summary>Defect boxes of <paramref name="detector"/> (trimmed frame); empty when there are none.</summary>
    IReadOnlyList<Box2I> GetDefects(Detector detector);

    /// <summary>Crosstalk coefficients [source, target] in amplifier order, ADU per ADU.</summary>
    double[,] GetCrosstalk(Detector detector);

    /// <summary>Per-amplifier quadratic non-linearity k (1/ADU, amplifier order; see <see cref="Linearity"/>).</summary>
    IReadOnlyList<double> GetLinearity(Detector detector);
}

/// <summary>
/// Calibrations in a directory, as <c>imagecore simulate</c> writes them: <c>bias/DET.fits</c>,
/// <c>dark/DET.fits</c>, <c>flat/BAND/DET.fits</c> (afw-layout exposures), <c>crosstalk/DET.json</c>,
/// <c>linearity/DET.json</c>
/// and optionally <c>defects/DET.json</c> (a list of [x0, y0, width, height] boxes). Every exposure is checked for its
/// detector (DETNAME), its box, its units (LSST ISR UNITS) and, for flats, its band.
/// </summary>
public sealed class CalibrationDirectory(string root) : ICalibrationSource
{
    /// <summary>The directory.</summary>
    public string Root { get; } = root;

    /// <inheritdoc/>
    public Exposure GetBias(Detector detector) => Load("bias", Path.Combine(Root, "bias", detector.Name + ".fits"), detector, "electron", null);

    /// <inheritdoc/>
    public Exposure GetDark(Detector detector) => Load("dark", Path.Combine(Root, "dark", detector.Name + ".fits"), detector, "electron", null);

    /// <inheritdoc/>
    public Exposure GetFlat(Detector detector, string band) => Load("flat", Path.Combine(Root, "flat", band, detector.Name + ".fits"), detector, null, band);

    /// <inheritdoc/>
    public IReadOnlyList<Box2I> GetDefects(Detector detector)
    {
        string path = Path.Combine(Root, "defects", detector.Name + ".json");
        if (!File.Exists(path)) return [];
        try
        {
            var boxes = System.Text.Json.JsonSerializer.Deserialize<int[][]>(File.ReadAllText(path)) ?? [];
            return boxes.Select(b => b.Length == 4 ? new Box2I(b[0], b[1], b[2], b[3]) : throw new CalibrationException("defects", path, "a defect is [x0, y0, width, height]")).ToList();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CalibrationException("defects", path, e.Message);
        }
    }

    /// <inheritdoc/>
    /// <remarks>From <c>crosstalk/DET.json</c>: <c>{"coefficients": [[...], ...]}</c>, rows the sources.</remarks>
    public double[,] GetCrosstalk(Detector detector)
    {
        string path = Path.Combine(Root, "crosstalk", detector.Name + ".json");
        if (!File.Exists(path)) throw new CalibrationException("crosstalk", path, $"no crosstalk for {detector.Name}");
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var rows = doc.RootElement.GetProperty("coefficients");
            int n = detector.Amplifiers.Count;
            if (rows.GetArrayLength() != n) throw new CalibrationException("crosstalk", path, $"needs {n} rows, has {rows.GetArrayLength()}");
            var c = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                if (rows[i].GetArrayLength() != n) throw new CalibrationException("crosstalk", path, $"row {i} needs {n} coefficients");
                for (int j = 0; j < n; j++) c[i, j] = rows[i][j].GetDouble();
            }
            return c;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CalibrationException("crosstalk", path, e.Message);
        }
    }

    /// <inheritdoc/>
    /// <remarks>From <c>linearity/DET.json</c>: <c>{"k": [16 values]}</c>.</remarks>
    public IReadOnlyList<double> GetLinearity(Detector detector)
    {
        string path = Path.Combine(Root, "linearity", detector.Name + ".json");
        if (!File.Exists(path)) throw new CalibrationException("linearity", path, $"no linearity for {detector.Name}");
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var k = doc.RootElement.GetProperty("k").EnumerateArray().Select(e => e.GetDouble()).ToList();
            if (k.Count != detector.Amplifiers.Count) throw new CalibrationException("linearity", path, $"needs {detector.Amplifiers.Count} coefficients, has {k.Count}");
            return k;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CalibrationException("linearity", path, e.Message);
        }
    }

    private static Exposure Load(string kind, string path, Detector detector, string? units, string? band)
    {
        if (!File.Exists(path)) throw new CalibrationException(kind, path, $"no {kind} for {detector.Name}");
        Exposure exposure;
        try { exposure = ExposureFits.Read(path); }
        catch (FitsFormatException e) { throw new CalibrationException(kind, path, e.Message); }
        try
        {
            var md = exposure.Metadata;
            string? det = md.GetString("DETNAME", null);
            if (det is not null && det != detector.Name) throw new CalibrationException(kind, path, $"is for detector {det}, not {detector.Name}");
            if (exposure.BBox != detector.BBox)
                throw new CalibrationException(kind, path, $"is {exposure.BBox.Width}x{exposure.BBox.Height} px but {detector.Name} is {detector.BBox.Width}x{detector.BBox.Height} px");
            string? u = md.GetString("LSST ISR UNITS", null);
            if (units is not null && u is not null && u != units) throw new CalibrationException(kind, path, $"is in {u}, ISR works in {units}");
            string? b = md.GetString("BAND", null);
            if (band is not null && b is not null && b != band) throw new CalibrationException(kind, path, $"is for band {b}, the exposure is {band}");
            return exposure;
        }
        catch
        {
            exposure.Dispose();
            throw;
        }
    }
}
