using ImageCore.Camera;

namespace ImageCore.Isr;

// The bias, dark and flat of the fused pass, opened or read with their leases.
public static partial class IsrTask
{
    /// <summary>The bias, dark and flat of the fused pass and the leases that keep them (all null until read).</summary>
    private record struct Frames(CalibrationFrame? Bias, CalibrationFrame? Dark, CalibrationFrame? Flat, IDisposable? BiasLease, IDisposable? DarkLease, IDisposable? FlatLease)
    {
        public readonly void Dispose()
        {
            BiasLease?.Dispose();
            DarkLease?.Dispose();
            FlatLease?.Dispose();
        }
    }

    private static Frames LoadFrames(ICalibrationSource calibrations, Detector detector, string band, CancellationToken cancel = default) =>
        OpenFrames(() => calibrations.GetBias(detector), () => calibrations.GetDark(detector), () => calibrations.GetFlat(detector, band),
                   (lease, _) => CalibrationFrame.InMemory(lease.Value), cancel);

    private static Frames OpenStreamedFrames(IStreamedCalibrationSource calibrations, Detector detector, string band, CancellationToken cancel) =>
        OpenFrames(() => calibrations.OpenBias(detector), () => calibrations.OpenDark(detector), () => calibrations.OpenFlat(detector, band),
                   (lease, kind) => CalibrationFrame.Streamed(kind, lease.Value), cancel);

    /// <summary>The three frames in order, each lease released if a later one fails.</summary>
    private static Frames OpenFrames<T>(Func<CalibrationLease<T>> bias, Func<CalibrationLease<T>> dark, Func<CalibrationLease<T>> flat,
                                        Func<CalibrationLease<T>, string, CalibrationFrame> frame, CancellationToken cancel) where T : class
    {
        CalibrationLease<T>? b = null, d = null;
        try
        {
            b = bias();
            cancel.ThrowIfCancellationRequested();
            d = dark();
            cancel.ThrowIfCancellationRequested();
            var f = flat();
            return new Frames(frame(b, "bias"), frame(d, "dark"), frame(f, "flat"), b, d, f);
        }
        catch
        {
            b?.Dispose();
            d?.Dispose();
            throw;
        }
    }
}
