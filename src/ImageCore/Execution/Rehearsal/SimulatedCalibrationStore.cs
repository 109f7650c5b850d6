using ImageCore.Camera;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// The store behind a simulated node's <see cref="CalibrationCache"/>: it reads nothing, hands out one shared tiny value
/// per type with the catalog's stored size, and remembers the last dataset asked for, so that the campaign simulator
/// sees each miss of the real cache as it happens. Not thread-safe (the simulation runs on one thread).
/// </summary>
internal sealed class SimulatedCalibrationStore(CalibrationCatalog catalog) : ICalibrationSource, IDisposable
{
    private readonly Exposure _frame = new(new MaskedImage(1, 1));
    private readonly IReadOnlyList<Box2I> _defects = [];
    private readonly double[,] _crosstalk = new double[1, 1];
    private readonly IReadOnlyList<double> _linearity = [0.0];
    private readonly IReadOnlyList<AmplifierCalibration> _amplifiers = [];

    /// <summary>True once a dataset was read since <see cref="Reset"/>.</summary>
    public bool Read { get; private set; }

    /// <summary>The stored size of the last dataset read, or null when it does not exist (served without a read).</summary>
    public long? LastSize { get; private set; }

    /// <summary>Forgets the last read.</summary>
    public void Reset() => (Read, LastSize) = (false, null);

    public CalibrationLease<Exposure> GetBias(Detector detector) => Lease(CalibrationType.Bias, detector, _frame);

    public CalibrationLease<Exposure> GetDark(Detector detector) => Lease(CalibrationType.Dark, detector, _frame);

    public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => Lease(CalibrationType.Flat, detector, _frame);

    public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) => Lease(CalibrationType.Defects, detector, _defects);

    public CalibrationLease<double[,]> GetCrosstalk(Detector detector) => Lease(CalibrationType.Crosstalk, detector, _crosstalk);

    public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) => Lease(CalibrationType.Linearity, detector, _linearity);

    public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) => Lease(CalibrationType.Amplifiers, detector, _amplifiers);

    public void Dispose() => _frame.Dispose();

    private CalibrationLease<T> Lease<T>(CalibrationType type, Detector detector, T value) where T : class
    {
        LastSize = catalog.SizeOf(type, detector.Name);
        Read = true;
        return CalibrationLease.Borrowing(value, LastSize ?? 0);
    }
}
