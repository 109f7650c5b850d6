namespace ImageCore.Execution;

/// <summary>How slow a <see cref="ThrottledCalibrationStore"/> makes its store: a fixed latency per read and one
/// bandwidth shared by every thread (the shared "embargo rack" of the operations rehearsals).</summary>
public sealed record ThrottledStoreConfig
{
    /// <summary>Added to every read, failed reads included (seek and round trip); does not occupy the link.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>Aggregate bandwidth of the link to the store, bytes per second, shared by all readers;
    /// <see cref="double.PositiveInfinity"/> (the default) for no limit.</summary>
    public double BandwidthBytesPerSecond { get; init; } = double.PositiveInfinity;

    /// <summary>Checks that the latency is not negative and the bandwidth is positive (infinity allowed).</summary>
    /// <exception cref="ArgumentException">Naming the field and its value.</exception>
    public void Validate()
    {
        if (Latency < TimeSpan.Zero) throw new ArgumentException($"ThrottledStoreConfig.Latency {Latency} must be >= 0", nameof(Latency));
        if (!(BandwidthBytesPerSecond > 0)) throw new ArgumentException($"ThrottledStoreConfig.BandwidthBytesPerSecond {BandwidthBytesPerSecond} must be > 0", nameof(BandwidthBytesPerSecond));
    }
}
