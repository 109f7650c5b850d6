using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>A calibration is missing or does not fit the exposure; the message names the calibration and its file.</summary>
public sealed class CalibrationException(string calibration, string path, string problem)
    : Exception($"{calibration} ({path}): {problem}")
{
    /// <summary>Which calibration: bias, dark, flat, defects, crosstalk, linearity or amps.</summary>
    public string Calibration { get; } = calibration;

    /// <summary>The file it was read from (or would have been).</summary>
    public string Path { get; } = path;
}

/// <summary>The kinds of calibration dataset ISR reads; with detector, band and validity they key the calibration cache.</summary>
public enum CalibrationType
{
    /// <summary>Master bias (an exposure).</summary>
    Bias,
    /// <summary>Master dark (an exposure).</summary>
    Dark,
    /// <summary>Master flat of one band (an exposure).</summary>
    Flat,
    /// <summary>Defect boxes.</summary>
    Defects,
    /// <summary>Crosstalk coefficients.</summary>
    Crosstalk,
    /// <summary>Per-amplifier non-linearity coefficients.</summary>
    Linearity,
    /// <summary>Per-amplifier gain, read noise and saturation (the role of ip_isr's PTC dataset).</summary>
    Amplifiers,
}

/// <summary>One amplifier's measured electronics, as a calibration (ip_isr takes these from the PTC by default).</summary>
/// <param name="Amplifier">The amplifier's name (<c>C10</c> ... <c>C00</c>).</param>
/// <param name="Gain">Gain, e-/ADU (finite, &gt; 0).</param>
/// <param name="ReadNoise">Read noise, e- (finite, &gt;= 0).</param>
/// <param name="Saturation">Saturation level, ADU after overscan subtraction (finite, &gt; 0).</param>
public sealed record AmplifierCalibration(string Amplifier, double Gain, double ReadNoise, double Saturation);

/// <summary>
/// The validity range of a calibration dataset, [<see cref="Start"/>, <see cref="End"/>) in UTC; a null end
/// is open. The simulator's calibrations carry none: they are <see cref="Unbounded"/>. Part of the
/// calibration cache's key, so that a source with dated calibrations keeps them apart.
/// </summary>
/// <param name="Start">First instant the calibration applies to; null: from the beginning.</param>
/// <param name="End">First instant it no longer applies to; null: to the end.</param>
public readonly record struct CalibrationValidity(DateTimeOffset? Start, DateTimeOffset? End)
{
    /// <summary>Valid at every time (both ends open).</summary>
    public static CalibrationValidity Unbounded => default;

    /// <summary><c>unbounded</c>, or <c>[start, end)</c> in ISO 8601 with <c>-inf</c>/<c>+inf</c> for an open end.</summary>
    public override string ToString() =>
        Start is null && End is null ? "unbounded" : $"[{Start?.ToString("O") ?? "-inf"}, {End?.ToString("O") ?? "+inf"})";
}

/// <summary>
/// A calibration handed out by an <see cref="ICalibrationSource"/>: <see cref="Value"/> is valid until the
/// lease is disposed, and must be treated as read-only (a cache hands the same object to many concurrent ISR
/// quanta). What disposing does is the source's business: a store frees the value, a cache releases a
/// reference. Dispose once every use of <see cref="Value"/> is over; disposing twice is harmless.
/// </summary>
/// <typeparam name="T">The calibration: an <see cref="Exposure"/>, defect boxes, coefficients.</typeparam>
public sealed class CalibrationLease<T> : IDisposable where T : class
{
    private readonly T _value;
    private Action? _release;

    /// <summary>A lease on <paramref name="value"/>; <paramref name="release"/> (may be null) runs once, on the first dispose.</summary>
    /// <param name="value">The calibration.</param>
    /// <param name="storedBytes">Bytes of the dataset in its store (the file size): what reading it from the store costs; 0 when it has no file.</param>
    /// <param name="release">What disposing the lease does.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="storedBytes"/> is negative.</exception>
    public CalibrationLease(T value, long storedBytes, Action? release)
    {
        _value = value ?? throw new ArgumentNullException(nameof(value));
        ArgumentOutOfRangeException.ThrowIfNegative(storedBytes);
        StoredBytes = storedBytes;
        _release = release ?? NoRelease;
    }

    /// <summary>The calibration (read-only by contract).</summary>
    /// <exception cref="ObjectDisposedException">The lease has been disposed.</exception>
    public T Value => Volatile.Read(ref _release) is not null ? _value : throw new ObjectDisposedException(nameof(CalibrationLease<T>), $"the lease on this {typeof(T).Name} has been released");

    /// <summary>Bytes of the dataset in its store (the size of the file it is read from); the same on a cache hit.</summary>
    public long StoredBytes { get; }

    /// <summary>Releases the calibration (the first call only).</summary>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();

    private static void NoRelease() { }
}

/// <summary>Makes <see cref="CalibrationLease{T}"/>s.</summary>
public static class CalibrationLease
{
    /// <summary>A lease that owns <paramref name="value"/>: disposing the lease disposes the value (a store's fresh read).</summary>
    public static CalibrationLease<T> Owning<T>(T value, long storedBytes) where T : class, IDisposable => new(value, storedBytes, value.Dispose);

    /// <summary>A lease that frees nothing (values that need no disposing, or that someone else owns).</summary>
    public static CalibrationLease<T> Borrowing<T>(T value, long storedBytes = 0) where T : class => new(value, storedBytes, null);
}

/// <summary>Where ISR gets its master calibrations: a store (<see cref="CalibrationDirectory"/>) or the
/// calibration cache in front of one (<c>ImageCore.Execution.CalibrationCache</c>). Every calibration comes as a
/// <see cref="CalibrationLease{T}"/>: the caller disposes the lease when done and never writes into its value.
/// Implementations are safe to call from several threads at once.</summary>
public interface ICalibrationSource
{
    /// <summary>The master bias of <paramref name="detector"/>, electrons.</summary>
    CalibrationLease<Exposure> GetBias(Detector detector);

    /// <summary>The master dark of <paramref name="detector"/>, electrons per second of DARKTIME.</summary>
    CalibrationLease<Exposure> GetDark(Detector detector);

    /// <summary>The master flat of <paramref name="detector"/> in <paramref name="band"/>.</summary>
    CalibrationLease<Exposure> GetFlat(Detector detector, string band);

    /// <summary>Defect boxes of <paramref name="detector"/> (trimmed frame); empty when there are none.</summary>
    CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector);

    /// <summary>Crosstalk coefficients [source, target] in amplifier order, ADU per ADU (read-only).</summary>
    CalibrationLease<double[,]> GetCrosstalk(Detector detector);

    /// <summary>Per-amplifier quadratic non-linearity k (1/ADU, amplifier order; see <see cref="Linearity"/>).</summary>
    CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector);

    /// <summary>Per-amplifier gain, read noise and saturation of <paramref name="detector"/>, in amplifier order.</summary>
    CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector);

    /// <summary>The validity range of the dataset that <c>Get*</c> would return for <paramref name="type"/>,
    /// <paramref name="detector"/> and <paramref name="band"/> (null for all but flats), found without reading it.
    /// Sources whose calibrations carry no range keep this default, <see cref="CalibrationValidity.Unbounded"/>.</summary>
    CalibrationValidity GetValidity(CalibrationType type, Detector detector, string? band) => CalibrationValidity.Unbounded;
}

/// <summary>
/// Calibrations in a directory, as <c>imagecore simulate</c> writes them: <c>bias/DET.fits</c>,
/// <c>dark/DET.fits</c>, <c>flat/BAND/DET.fits</c> (afw-layout exposures), <c>crosstalk/DET.json</c>,
/// <c>linearity/DET.json</c>, <c>amps/DET.json</c> (per-amplifier gain, read noise and saturation)
/// and optionally <c>defects/DET.json</c> (a list of [x0, y0, width, height] boxes), laid out by
/// <see cref="InputLayout.Calibration"/>. Every exposure is checked for its
/// detector (DETNAME), its box, its units (LSST ISR UNITS) and, for flats, its band.
/// Every call reads its file afresh; the lease owns what was read (disposing it frees the exposure). ISR given this
/// source directly reads the bias, dark and flat a band of rows at a time as its fused pass reaches them, never whole.
/// The store counts its own I/O (<see cref="Reads"/>, <see cref="BytesRead"/>), whoever calls it.
/// Its calibrations carry no validity range (<see cref="CalibrationValidity.Unbounded"/>). Thread-safe.
/// </summary>
public sealed class CalibrationDirectory(string root) : ICalibrationSource, IStreamedCalibrationSource
{
    private long _reads, _bytesRead;

    /// <summary>The directory.</summary>
    public string Root { get; } = root;

    /// <summary>Files read so far, whether or not their content turned out usable (a file that could not be opened, or a
    /// missing optional defects file, does not count).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Bytes of the files read so far (their sizes, summed over every read).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <inheritdoc/>
    public CalibrationLease<Exposure> GetBias(Detector detector) => Load("bias", InputLayout.Calibration(Root, CalibrationType.Bias, detector.Name), detector, "electron", null);

    /// <inheritdoc/>
    public CalibrationLease<Exposure> GetDark(Detector detector) => Load("dark", InputLayout.Calibration(Root, CalibrationType.Dark, detector.Name), detector, "electron", null);

    /// <inheritdoc/>
    public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => Load("flat", InputLayout.Calibration(Root, CalibrationType.Flat, detector.Name, band), detector, null, band);

    /// <inheritdoc/>
    public CalibrationValidity GetValidity(CalibrationType type, Detector detector, string? band) => CalibrationValidity.Unbounded;

    /// <inheritdoc/>
    public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector)
    {
        string path = InputLayout.Calibration(Root, CalibrationType.Defects, detector.Name);
        if (Directory.Exists(path)) throw new CalibrationException("defects", path, "is a directory, not a defects file");
        if (!File.Exists(path)) return CalibrationLease.Borrowing<IReadOnlyList<Box2I>>(Array.Empty<Box2I>());
        byte[] json = ReadJson("defects", path);
        try
        {
            var boxes = System.Text.Json.JsonSerializer.Deserialize(json, DefectsJsonContext.Default.Int32ArrayArray) ?? [];
            var defects = new List<Box2I>(boxes.Length);
            for (int i = 0; i < boxes.Length; i++)
            {
                if (boxes[i] is not { Length: 4 } b) throw new CalibrationException("defects", path, $"defect {i}: a defect is [x0, y0, width, height]");
                // Width and height at least 1, and every corner an int: the box's far corner must not overflow.
                if (b[2] < 1 || b[3] < 1 || (long)b[0] + b[2] > int.MaxValue || (long)b[1] + b[3] > int.MaxValue)
                    throw new CalibrationException("defects", path, $"defect {i} [{string.Join(", ", b)}]: width and height must be >= 1 and the box within the integers");
                defects.Add(new Box2I(b[0], b[1], b[2], b[3]));
            }
            return CalibrationLease.Borrowing<IReadOnlyList<Box2I>>(defects, json.Length);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CalibrationException("defects", path, e.Message);
        }
    }

    /// <inheritdoc/>
    /// <remarks>From <c>crosstalk/DET.json</c>: <c>{"coefficients": [[...], ...]}</c>, rows the sources.</remarks>
    public CalibrationLease<double[,]> GetCrosstalk(Detector detector) =>
        LoadJson("crosstalk", CalibrationType.Crosstalk, detector, $"no crosstalk for {detector.Name}", (root, path) =>
        {
            var rows = root.GetProperty("coefficients");
            int n = detector.Amplifiers.Count;
            if (rows.GetArrayLength() != n) throw new CalibrationException("crosstalk", path, $"needs {n} rows, has {rows.GetArrayLength()}");
            var c = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                if (rows[i].GetArrayLength() != n) throw new CalibrationException("crosstalk", path, $"row {i} needs {n} coefficients");
                for (int j = 0; j < n; j++)
                {
                    c[i, j] = rows[i][j].GetDouble();
                    if (!double.IsFinite(c[i, j])) throw new CalibrationException("crosstalk", path, $"coefficient [{i}][{j}] is {c[i, j]}, must be finite");
                }
            }
            return c;
        });

    /// <inheritdoc/>
    /// <remarks>From <c>linearity/DET.json</c>: <c>{"k": [16 values]}</c>.</remarks>
    public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) =>
        LoadJson<IReadOnlyList<double>>("linearity", CalibrationType.Linearity, detector, $"no linearity for {detector.Name}", (root, path) =>
        {
            double[] k = root.GetProperty("k").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            if (k.Length != detector.Amplifiers.Count) throw new CalibrationException("linearity", path, $"needs {detector.Amplifiers.Count} coefficients, has {k.Length}");
            for (int a = 0; a < k.Length; a++)
                if (!(k[a] >= 0) || float.IsInfinity((float)k[a]))
                    throw new CalibrationException("linearity", path, $"{detector.Amplifiers[a].Name}: k {k[a]} 1/ADU must be finite and >= 0");
            return k;
        });

    /// <inheritdoc/>
    /// <remarks>From <c>amps/DET.json</c>: <c>{"detector": "R22_S11", "amplifiers": [{"name": "C10", "gain": 1.5,
    /// "readNoise": 5.4, "saturation": 140000}, ...]}</c>, one entry per amplifier in the camera's order.</remarks>
    public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) =>
        LoadJson<IReadOnlyList<AmplifierCalibration>>("amps", CalibrationType.Amplifiers, detector, $"no per-amplifier gain, read noise and saturation for {detector.Name}", (root, path) =>
        {
            if (root.TryGetProperty("detector", out var det) && det.GetString() != detector.Name)
                throw new CalibrationException("amps", path, $"is for detector {det.GetString()}, not {detector.Name}");
            var entries = root.GetProperty("amplifiers");
            var amps = detector.Amplifiers;
            if (entries.GetArrayLength() != amps.Count) throw new CalibrationException("amps", path, $"needs {amps.Count} amplifiers, has {entries.GetArrayLength()}");
            var values = new AmplifierCalibration[amps.Count];
            for (int i = 0; i < amps.Count; i++)
            {
                var e = entries[i];
                string? name = e.GetProperty("name").GetString();
                if (name != amps[i].Name) throw new CalibrationException("amps", path, $"entry {i} is amplifier {name}, expected {amps[i].Name}");
                double gain = e.GetProperty("gain").GetDouble(), readNoise = e.GetProperty("readNoise").GetDouble(), saturation = e.GetProperty("saturation").GetDouble();
                if (!(gain > 0) || double.IsInfinity(gain)) throw new CalibrationException("amps", path, $"{name}: gain {gain} e-/ADU must be finite and > 0");
                if (!(readNoise >= 0) || double.IsInfinity(readNoise)) throw new CalibrationException("amps", path, $"{name}: read noise {readNoise} e- must be finite and >= 0");
                if (!(saturation > 0) || double.IsInfinity(saturation)) throw new CalibrationException("amps", path, $"{name}: saturation {saturation} ADU must be finite and > 0");
                values[i] = new AmplifierCalibration(name, gain, readNoise, saturation);
            }
            return values;
        });

    /// <summary>A required JSON calibration <c>KIND/DET.json</c>: read (counted), parsed, and handed to
    /// <paramref name="parse"/> with its path; a missing file, malformed JSON or a missing or mistyped property is a
    /// <see cref="CalibrationException"/> naming <paramref name="kind"/> and the file.</summary>
    private CalibrationLease<T> LoadJson<T>(string kind, CalibrationType type, Detector detector, string missing, Func<System.Text.Json.JsonElement, string, T> parse) where T : class
    {
        string path = InputLayout.Calibration(Root, type, detector.Name);
        if (Directory.Exists(path)) throw new CalibrationException(kind, path, $"is a directory, not a {kind} file");
        if (!File.Exists(path)) throw new CalibrationException(kind, path, missing);
        byte[] json = ReadJson(kind, path);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return CalibrationLease.Borrowing(parse(doc.RootElement, path), json.Length);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CalibrationException(kind, path, e.Message);
        }
    }

    /// <summary>The whole file, counted.</summary>
    private byte[] ReadJson(string kind, string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new CalibrationException(kind, path, e.Message); }
        catch (UnauthorizedAccessException e) { throw new CalibrationException(kind, path, e.Message); }
        Count(bytes.Length);
        return bytes;
    }

    private void Count(long bytes)
    {
        Interlocked.Increment(ref _reads);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    private CalibrationLease<Exposure> Load(string kind, string path, Detector detector, string? units, string? band) =>
        OpenFrame(kind, path, detector, units, band, ExposureFits.Read, e => (e.Metadata, e.BBox));

    CalibrationLease<ExposureBandReader> IStreamedCalibrationSource.OpenBias(Detector detector) =>
        OpenStreamed("bias", InputLayout.Calibration(Root, CalibrationType.Bias, detector.Name), detector, "electron", null);

    CalibrationLease<ExposureBandReader> IStreamedCalibrationSource.OpenDark(Detector detector) =>
        OpenStreamed("dark", InputLayout.Calibration(Root, CalibrationType.Dark, detector.Name), detector, "electron", null);

    CalibrationLease<ExposureBandReader> IStreamedCalibrationSource.OpenFlat(Detector detector, string band) =>
        OpenStreamed("flat", InputLayout.Calibration(Root, CalibrationType.Flat, detector.Name, band), detector, null, band);

    private CalibrationLease<ExposureBandReader> OpenStreamed(string kind, string path, Detector detector, string? units, string? band) =>
        OpenFrame(kind, path, detector, units, band, ExposureBandReader.Open, r => (r.Metadata, r.BBox));

    /// <summary>A master frame opened by <paramref name="open"/> (read whole, or its headers for band reads), counted as
    /// its file's size, and checked against the detector (DETNAME, size), the units and the band.</summary>
    private CalibrationLease<T> OpenFrame<T>(string kind, string path, Detector detector, string? units, string? band, Func<string, T> open,
                                             Func<T, (FitsHeader Metadata, Box2I BBox)> describe) where T : class, IDisposable
    {
        if (Directory.Exists(path)) throw new CalibrationException(kind, path, $"is a directory, not a {kind} file");
        if (!File.Exists(path)) throw new CalibrationException(kind, path, $"no {kind} for {detector.Name}");
        T frame;
        long size = -1;
        try
        {
            size = new FileInfo(path).Length;
            frame = open(path);
        }
        catch (FitsFormatException e)
        {
            if (size >= 0) Count(size);   // read, but not an exposure
            throw new CalibrationException(kind, path, e.Message);
        }
        catch (IOException e) { throw new CalibrationException(kind, path, e.Message); }
        catch (UnauthorizedAccessException e) { throw new CalibrationException(kind, path, e.Message); }
        Count(size);
        try
        {
            var (md, bbox) = describe(frame);
            string? det = md.GetString("DETNAME", null);
            if (det is not null && det != detector.Name) throw new CalibrationException(kind, path, $"is for detector {det}, not {detector.Name}");
            if (bbox != detector.BBox)
                throw new CalibrationException(kind, path, $"is {bbox.Width}x{bbox.Height} px but {detector.Name} is {detector.BBox.Width}x{detector.BBox.Height} px");
            string? u = md.GetString("LSST ISR UNITS", null);
            if (units is not null && u is not null && u != units) throw new CalibrationException(kind, path, $"is in {u}, ISR works in {units}");
            string? b = md.GetString("BAND", null);
            if (band is not null && b is not null && b != band) throw new CalibrationException(kind, path, $"is for band {b}, the exposure is {band}");
            return CalibrationLease.Owning(frame, size);
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A calibration source that can also open the bias, dark and flat for reading in row bands straight from their
/// files (<see cref="CalibrationFrame.Streamed"/>), so that ISR never holds them whole: <see cref="CalibrationDirectory"/>.
/// Sources whose point is to keep frames in memory (the calibration cache) do not offer it. The same checks as
/// <see cref="ICalibrationSource.GetBias"/> and its siblings are made when a frame is opened.
/// </summary>
internal interface IStreamedCalibrationSource
{
    /// <summary>The master bias, headers read and checked.</summary>
    CalibrationLease<ExposureBandReader> OpenBias(Detector detector);

    /// <summary>The master dark, headers read and checked.</summary>
    CalibrationLease<ExposureBandReader> OpenDark(Detector detector);

    /// <summary>The master flat for <paramref name="band"/>, headers read and checked.</summary>
    CalibrationLease<ExposureBandReader> OpenFlat(Detector detector, string band);
}

/// <summary>Source-generated JSON metadata for a defects file (a list of [x0, y0, width, height]).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(int[][]))]
internal sealed partial class DefectsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
