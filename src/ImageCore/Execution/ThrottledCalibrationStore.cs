using ImageCore.Camera;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>
/// A calibration store made slow on purpose, for rehearsals: wraps another <see cref="ICalibrationSource"/> (the
/// directory) and, after each read, holds the caller for <see cref="ThrottledStoreConfig.Latency"/> plus the time its
/// bytes take on one link shared by all threads. The link is a reservation: a read of B bytes occupies it for
/// B / bandwidth seconds, starting when the link comes free or now, whichever is later, so concurrent reads queue
/// behind each other. The wait is <c>latency + (link busy until, after this reservation) - now</c>.
/// Clock and sleep are injectable, so tests check the requested delays instead of measuring time.
/// Leases are the inner store's, handed through; the inner store keeps counting its own reads and bytes.
/// </summary>
public sealed class ThrottledCalibrationStore : ICalibrationSource
{
    private readonly object _link = new();
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan> _sleep;
    private readonly long _origin;
    private TimeSpan _linkBusyUntil;   // since _origin
    private long _reads, _delayTicks;

    /// <summary>Throttles <paramref name="inner"/> as <paramref name="config"/> says.</summary>
    /// <param name="inner">The store read (not owned).</param>
    /// <param name="config">Latency and bandwidth.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="sleep">Blocks the calling thread for the given time; <see cref="Thread.Sleep(TimeSpan)"/> when null.</param>
    /// <exception cref="ArgumentException">An invalid configuration.</exception>
    public ThrottledCalibrationStore(ICalibrationSource inner, ThrottledStoreConfig config, TimeProvider? time = null, Action<TimeSpan>? sleep = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        (Inner, Config) = (inner, config);
        _time = time ?? TimeProvider.System;
        _sleep = sleep ?? Thread.Sleep;
        _origin = _time.GetTimestamp();
    }

    /// <summary>The store being throttled.</summary>
    public ICalibrationSource Inner { get; }

    /// <summary>Latency and bandwidth.</summary>
    public ThrottledStoreConfig Config { get; }

    /// <summary>Reads passed through so far (failed ones included).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>The waits requested so far, summed over all reads.</summary>
    public TimeSpan TotalDelay => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));

    /// <inheritdoc/>
    public CalibrationLease<Exposure> GetBias(Detector detector) => Throttle(() => Inner.GetBias(detector));

    /// <inheritdoc/>
    public CalibrationLease<Exposure> GetDark(Detector detector) => Throttle(() => Inner.GetDark(detector));

    /// <inheritdoc/>
    public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => Throttle(() => Inner.GetFlat(detector, band));

    /// <inheritdoc/>
    public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) => Throttle(() => Inner.GetDefects(detector));

    /// <inheritdoc/>
    public CalibrationLease<double[,]> GetCrosstalk(Detector detector) => Throttle(() => Inner.GetCrosstalk(detector));

    /// <inheritdoc/>
    public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) => Throttle(() => Inner.GetLinearity(detector));

    /// <inheritdoc/>
    public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) => Throttle(() => Inner.GetAmplifiers(detector));

    /// <inheritdoc/>
    /// <remarks>A registry look-up, not a read: not throttled.</remarks>
    public CalibrationValidity GetValidity(CalibrationType type, Detector detector, string? band) => Inner.GetValidity(type, detector, band);

    /// <summary>The wait for a read of <paramref name="bytes"/> that finished now: reserves the link and returns
    /// latency plus the time until the link is free again.</summary>
    internal TimeSpan Reserve(long bytes)
    {
        var now = _time.GetElapsedTime(_origin);
        var transfer = double.IsPositiveInfinity(Config.BandwidthBytesPerSecond) || bytes == 0
            ? TimeSpan.Zero
            : TimeSpan.FromSeconds(bytes / Config.BandwidthBytesPerSecond);
        TimeSpan busyUntil;
        lock (_link)
        {
            _linkBusyUntil = (_linkBusyUntil > now ? _linkBusyUntil : now) + transfer;
            busyUntil = _linkBusyUntil;
        }
        return Config.Latency + (busyUntil - now);
    }

    private CalibrationLease<T> Throttle<T>(Func<CalibrationLease<T>> read) where T : class
    {
        Interlocked.Increment(ref _reads);
        CalibrationLease<T> lease;
        try
        {
            lease = read();
        }
        catch
        {
            Wait(Config.Latency);
            throw;
        }
        try
        {
            Wait(Reserve(lease.StoredBytes));
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private void Wait(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) return;
        Interlocked.Add(ref _delayTicks, delay.Ticks);
        _sleep(delay);
    }
}
