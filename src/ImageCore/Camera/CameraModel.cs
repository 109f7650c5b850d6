using System.Text.Json;
using ImageCore.Geometry;

namespace ImageCore.Camera;

/// <summary>A camera description is malformed; the message names the source and the field.</summary>
public sealed class CameraFormatException(string source, string field, string problem)
    : Exception($"{source}: {field}: {problem}")
{
    /// <summary>The file or resource.</summary>
    public string CameraSource { get; } = source;

    /// <summary>The JSON path of the bad field.</summary>
    public string Field { get; } = field;
}

/// <summary>
/// A focal plane of detectors. <see cref="LsstCam"/> is the LSSTCam science focal plane (189 CCDs,
/// 13 e2v and 8 ITL rafts), loaded from a JSON resource made from obs_lsst's camera description by
/// <c>Camera/Data/make_lsstcam.py</c>; <see cref="Load"/> reads another instrument from a JSON file of
/// the same schema.
/// </summary>
public sealed class CameraModel
{
    private static readonly Lazy<CameraModel> LsstCamInstance = new(() =>
    {
        using var s = typeof(CameraModel).Assembly.GetManifestResourceStream("ImageCore.Camera.lsstcam.json")
                      ?? throw new InvalidOperationException("the LSSTCam camera resource is missing from the assembly");
        return Parse(s, "resource lsstcam.json");
    });

    private readonly Dictionary<string, Detector> _byName;
    private readonly Dictionary<int, Detector> _byId;

    private CameraModel(string name, double pixelSizeMm, double plateScale, IReadOnlyList<Detector> detectors)
    {
        Name = name;
        PixelSizeMm = pixelSizeMm;
        PlateScaleArcsecPerMm = plateScale;
        Detectors = detectors;
        _byName = detectors.ToDictionary(d => d.Name, StringComparer.Ordinal);
        _byId = detectors.ToDictionary(d => d.Id);
    }

    /// <summary>The LSSTCam science focal plane.</summary>
    public static CameraModel LsstCam => LsstCamInstance.Value;

    /// <summary>Instrument name.</summary>
    public string Name { get; }

    /// <summary>Pixel size, mm.</summary>
    public double PixelSizeMm { get; }

    /// <summary>Plate scale, arcsec per mm (LSSTCam: 20.0059, i.e. 0.2"/pixel).</summary>
    public double PlateScaleArcsecPerMm { get; }

    /// <summary>Pixel scale, arcsec per pixel.</summary>
    public double PixelScaleArcsec => PlateScaleArcsecPerMm * PixelSizeMm;

    /// <summary>Detectors in id order.</summary>
    public IReadOnlyList<Detector> Detectors { get; }

    /// <summary>The detector with id <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such detector.</exception>
    public Detector this[int id] => _byId.TryGetValue(id, out var d) ? d : throw new KeyNotFoundException($"{Name} has no detector {id}");

    /// <summary>The detector named <paramref name="name"/> (<c>R##_S##</c>).</summary>
    /// <exception cref="KeyNotFoundException">No such detector.</exception>
    public Detector this[string name] => _byName.TryGetValue(name, out var d) ? d : throw new KeyNotFoundException($"{Name} has no detector '{name}'");

    /// <summary>Focal-plane position, mm, of 0-based pixel (x, y) of <paramref name="detector"/>'s trimmed image:
    /// its offset from the image centre in pixels of <see cref="PixelSizeMm"/>, rotated by the detector's yaw,
    /// plus the detector's centre.</summary>
    public (double X, double Y) PixelToFocalPlane(Detector detector, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(detector);
        double dx = (x - (detector.BBox.Width - 1) / 2.0) * PixelSizeMm, dy = (y - (detector.BBox.Height - 1) / 2.0) * PixelSizeMm;
        var (s, c) = Math.SinCos(detector.YawDeg * Math.PI / 180);
        return (detector.CenterMm.X + c * dx - s * dy, detector.CenterMm.Y + s * dx + c * dy);
    }

    /// <summary>The same focal plane with every amplifier segment shrunk by <paramref name="scale"/>
    /// (<see cref="AmplifierLayout.Scaled"/>): same detectors, ids, electronics and flips.</summary>
    /// <exception cref="ArgumentException">The scale does not fit the segments.</exception>
    public CameraModel Scaled(int scale)
    {
        if (scale == 1) return this;
        var detectors = Detectors.Select(d =>
        {
            var layout = d.Layout.Scaled(scale);
            var amps = d.Amplifiers.Select(a => new Amplifier(a.Name, a.HduIndex, layout, a.Gain, a.ReadNoise, a.Saturation)).ToList();
            return new Detector(d.Id, d.Name, d.Raft, d.Slot, d.Vendor, d.Serial, d.CenterMm, d.YawDeg, layout, amps);
        }).ToList();
        return new CameraModel($"{Name} (1/{scale} scale)", PixelSizeMm * scale, PlateScaleArcsecPerMm, detectors);
    }

    /// <summary>Reads a camera from a JSON file (the schema of <c>Camera/Data/lsstcam.json</c>).</summary>
    /// <exception cref="CameraFormatException">A field is missing or invalid.</exception>
    public static CameraModel Load(string path)
    {
        using var s = File.OpenRead(path);
        return Parse(s, path);
    }

    /// <summary>Reads a camera from JSON.</summary>
    /// <exception cref="CameraFormatException">A field is missing or invalid.</exception>
    public static CameraModel Parse(Stream json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new CameraFormatException(source, "$", e.Message); }
        using (doc)
        {
            var root = doc.RootElement;
            var layouts = new Dictionary<string, AmplifierLayout>(StringComparer.Ordinal);
            foreach (var t in Get(root, "ampTypes", "$", source).EnumerateObject())
                layouts[t.Name] = ParseLayout(t.Value, $"$.ampTypes.{t.Name}", source);
            var detectors = new List<Detector>();
            int i = 0;
            foreach (var d in Get(root, "detectors", "$", source).EnumerateArray())
            {
                string at = $"$.detectors[{i++}]";
                string vendor = Str(d, "type", at, source);
                if (!layouts.TryGetValue(vendor, out var layout))
                    throw new CameraFormatException(source, at + ".type", $"no ampTypes entry for '{vendor}'");
                var amps = new List<Amplifier>();
                int k = 0;
                foreach (var a in Get(d, "amplifiers", at, source).EnumerateArray())
                {
                    string aat = $"{at}.amplifiers[{k}]";
                    string name = Str(a, "name", aat, source);
                    if (name.Length != 3 || name[0] != 'C' || name[1] is not ('0' or '1') || name[2] is < '0' or > '7')
                        throw new CameraFormatException(source, aat + ".name", $"'{name}' is not C00..C17");
                    double gain = Num(a, "gain", aat, source), noise = Num(a, "readNoise", aat, source), sat = Num(a, "saturation", aat, source);
                    if (!(gain > 0)) throw new CameraFormatException(source, aat + ".gain", $"gain {gain} must be > 0 e-/ADU");
                    amps.Add(new Amplifier(name, ++k, layout, gain, noise, sat));
                }
                if (amps.Count != 16 || amps.Select(a => a.Name).Distinct().Count() != 16)
                    throw new CameraFormatException(source, at + ".amplifiers", $"needs 16 distinct amplifiers, found {amps.Count}");
                var c = Get(d, "centerMm", at, source);
                detectors.Add(new Detector((int)Num(d, "id", at, source), Str(d, "name", at, source), Str(d, "raft", at, source),
                    Str(d, "slot", at, source), vendor, Str(d, "serial", at, source), (c[0].GetDouble(), c[1].GetDouble()),
                    Num(d, "yawDeg", at, source), layout, amps));
            }
            if (detectors.Select(d => d.Id).Distinct().Count() != detectors.Count || detectors.Select(d => d.Name).Distinct().Count() != detectors.Count)
                throw new CameraFormatException(source, "$.detectors", "detector ids and names must be unique");
            return new CameraModel(Str(root, "name", "$", source), Num(root, "pixelSizeMm", "$", source),
                              Num(root, "plateScaleArcsecPerMm", "$", source), detectors.OrderBy(d => d.Id).ToList());
        }
    }

    private static AmplifierLayout ParseLayout(JsonElement e, string at, string source)
    {
        Box2I Box(string key)
        {
            var b = Get(e, key, at, source);
            if (b.GetArrayLength() != 4) throw new CameraFormatException(source, $"{at}.{key}", "a box is [x0, y0, width, height]");
            return new Box2I(b[0].GetInt32(), b[1].GetInt32(), b[2].GetInt32(), b[3].GetInt32());
        }
        (bool, bool) Flip(string key)
        {
            var f = Get(e, key, at, source);
            return (f[0].GetBoolean(), f[1].GetBoolean());
        }
        var layout = new AmplifierLayout((int)Num(e, "rawWidth", at, source), (int)Num(e, "rawHeight", at, source), Box("data"),
            Box("serialPrescan"), Box("serialOverscan"), Box("parallelOverscan"), Flip("flipTopRow"), Flip("flipBottomRow"));
        var raw = new Box2I(0, 0, layout.RawWidth, layout.RawHeight);
        foreach (var (name, box) in new[] { ("data", layout.Data), ("serialPrescan", layout.SerialPrescan), ("serialOverscan", layout.SerialOverscan), ("parallelOverscan", layout.ParallelOverscan) })
            if (box.IsEmpty || !raw.Contains(box))
                throw new CameraFormatException(source, $"{at}.{name}", $"box {box} is empty or outside the {layout.RawWidth}x{layout.RawHeight} segment");
        return layout;
    }

    private static JsonElement Get(JsonElement e, string key, string at, string source) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) ? v : throw new CameraFormatException(source, $"{at}.{key}", "missing");

    private static string Str(JsonElement e, string key, string at, string source)
    {
        var v = Get(e, key, at, source);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new CameraFormatException(source, $"{at}.{key}", "must be a string");
    }

    private static double Num(JsonElement e, string key, string at, string source)
    {
        var v = Get(e, key, at, source);
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new CameraFormatException(source, $"{at}.{key}", "must be a number");
    }
}
