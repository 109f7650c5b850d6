using ImageCore.Geometry;

namespace ImageCore.Camera;

/// <summary>
/// One science CCD of the focal plane: identity, vendor, position and rotation on the focal plane,
/// and its 16 amplifiers in raw-file HDU order.
/// </summary>
public sealed class Detector
{
    internal Detector(int id, string name, string raft, string slot, string vendor, string serial,
                      (double X, double Y) centerMm, double yawDeg, AmplifierLayout layout, IReadOnlyList<Amplifier> amplifiers)
    {
        Id = id;
        Name = name;
        Raft = raft;
        Slot = slot;
        Vendor = vendor;
        Serial = serial;
        CenterMm = centerMm;
        YawDeg = yawDeg;
        Layout = layout;
        Amplifiers = amplifiers;
        BBox = new Box2I(0, 0, 8 * layout.Data.Width, 2 * layout.Data.Height);
        RawBBox = new Box2I(0, 0, 8 * layout.RawWidth, 2 * layout.RawHeight);
    }

    /// <summary>This detector with each amplifier's gain (e-/ADU), read noise (e-) and saturation (ADU) replaced by
    /// <paramref name="values"/>, one per amplifier in order (measured values, as a PTC gives); the geometry is unchanged.</summary>
    internal Detector WithElectronics(IReadOnlyList<(double Gain, double ReadNoise, double Saturation)> values)
    {
        if (values.Count != Amplifiers.Count) throw new ArgumentException($"{Name} has {Amplifiers.Count} amplifiers, not {values.Count}", nameof(values));
        var amps = Amplifiers.Select((a, i) => new Amplifier(a.Name, a.HduIndex, Layout, values[i].Gain, values[i].ReadNoise, values[i].Saturation)).ToList();
        return new Detector(Id, Name, Raft, Slot, Vendor, Serial, CenterMm, YawDeg, Layout, amps);
    }

    /// <summary>Detector id (0-188 for LSSTCam science CCDs).</summary>
    public int Id { get; }

    /// <summary>Name, <c>R##_S##</c>.</summary>
    public string Name { get; }

    /// <summary>Raft, <c>R##</c>.</summary>
    public string Raft { get; }

    /// <summary>Slot in the raft, <c>S##</c> (row, column).</summary>
    public string Slot { get; }

    /// <summary>Sensor vendor: <c>E2V</c> or <c>ITL</c>.</summary>
    public string Vendor { get; }

    /// <summary>The CCD's serial number.</summary>
    public string Serial { get; }

    /// <summary>Centre of the CCD on the focal plane, mm (x, y).</summary>
    public (double X, double Y) CenterMm { get; }

    /// <summary>Rotation of the CCD in the focal plane, degrees.</summary>
    public double YawDeg { get; }

    /// <summary>The vendor's segment geometry.</summary>
    public AmplifierLayout Layout { get; }

    /// <summary>The 16 amplifiers in raw HDU order (C10..C17, C07..C00).</summary>
    public IReadOnlyList<Amplifier> Amplifiers { get; }

    /// <summary>The trimmed, assembled image (4096 x 4004 e2v, 4072 x 4000 ITL).</summary>
    public Box2I BBox { get; }

    /// <summary>The assembled untrimmed image (8 x 2 raw segments: 4608 x 4096).</summary>
    public Box2I RawBBox { get; }

    /// <summary>The amplifier named <paramref name="name"/> (C00..C17).</summary>
    /// <exception cref="KeyNotFoundException">No such amplifier.</exception>
    public Amplifier this[string name] =>
        Amplifiers.FirstOrDefault(a => a.Name == name) ?? throw new KeyNotFoundException($"{Name} has no amplifier '{name}'");

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (id {Id}, {Vendor})";
}
