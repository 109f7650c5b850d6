using System.Globalization;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>
/// The <c>isr</c> step: a raw to its post-ISR exposure (<see cref="IsrTask"/> on one thread per quantum, as the quanta run
/// concurrently). Calibrations come through a <see cref="CalibrationCache"/> (<see cref="PipelineConfig.Cache"/>) in front
/// of the data repository's calibration directory, throttled when <see cref="PipelineConfig.CalibrationStore"/> says so
/// (a throttled read's wait ends early on cancellation; the quantum then stops at its next check). The cache is let go
/// when the step ends; its counters go into the report.
/// </summary>
internal sealed class IsrStepRunner : IStepRunner
{
    private readonly StepSetup _setup;
    private readonly CalibrationDirectory _directory;
    private readonly CalibrationCache _cache;
    private readonly IDisposable _tracked;

    /// <summary>Opens the calibration cache and publishes its counters (<see cref="PipelineMetrics"/>) until disposed.</summary>
    public IsrStepRunner(StepSetup setup)
    {
        _setup = setup;
        var config = setup.Config;
        _directory = new CalibrationDirectory(new DataRepository(setup.Graph.Data).CalibrationRoot);
        ICalibrationSource store = config.CalibrationStore.Latency > TimeSpan.Zero || !double.IsPositiveInfinity(config.CalibrationStore.BandwidthBytesPerSecond)
            ? new ThrottledCalibrationStore(_directory, config.CalibrationStore, sleep: wait => setup.Cancel.WaitHandle.WaitOne(wait)) : _directory;
        _cache = CalibrationCache.Create(config.Cache, store);
        _tracked = PipelineMetrics.Track(_cache, _directory);
    }

    /// <inheritdoc/>
    public QuantumResult Run(Quantum quantum)
    {
        string raw = quantum.Inputs[0], output = quantum.Outputs[0];
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            using var file = FitsFile.Open(raw);
            using var exposure = IsrTask.Run(file, CameraModel.LsstCam, _cache, _setup.Config.Isr, 1, _setup.Cancel);
            ExposureFits.Write(output, exposure, _setup.Cancel);
            return QuantumResult.Done([raw]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return QuantumResult.Failure([raw], e.Message);
        }
    }

    /// <inheritdoc/>
    public void Finish(PipelineReportBuilder report)
    {
        var counters = _cache.Counters;
        report.Calibrations = new CalibrationReport(_setup.Config.Cache.ToString(), StoreDescription(_directory.Root, _setup.Config.CalibrationStore),
            counters.Hits, counters.Misses, counters.Evictions, counters.BytesHeld, counters.EntriesHeld, counters.BytesReadFromStore,
            _directory.Reads, _directory.BytesRead);
        _cache.Dispose();   // the calibrations are not needed after ISR
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _cache.Dispose();
        _tracked.Dispose();
    }

    /// <summary>The calibration store as the report describes it: its directory, and its latency and bandwidth when throttled.</summary>
    public static string StoreDescription(string calibRoot, ThrottledStoreConfig throttle)
    {
        string text = Path.GetFullPath(calibRoot);
        if (throttle.Latency > TimeSpan.Zero) text += string.Create(CultureInfo.InvariantCulture, $", latency {throttle.Latency.TotalMilliseconds} ms per read");
        if (!double.IsPositiveInfinity(throttle.BandwidthBytesPerSecond))
            text += string.Create(CultureInfo.InvariantCulture, $", bandwidth {throttle.BandwidthBytesPerSecond / 1e6} MB/s shared");
        return text;
    }
}
