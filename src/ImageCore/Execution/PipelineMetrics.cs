using System.Diagnostics.Metrics;
using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>
/// The runner's live figures as <see cref="System.Diagnostics.Metrics"/> instruments on the meter
/// <c>ImageCore.Execution</c>, so that <c>dotnet-counters monitor --counters ImageCore.Execution -n imagecore</c>
/// watches a run. Instruments (tags in brackets):
/// <list type="bullet">
/// <item><c>imagecore.quanta</c> (counter, {quantum}) [step, outcome]: quanta finished: succeeded, failed, skipped or empty.</item>
/// <item><c>imagecore.quantum.duration</c> (histogram, s) [step]: wall time of each quantum that ran.</item>
/// <item><c>imagecore.calibration.cache.hits</c>, <c>.misses</c>, <c>.evictions</c> (observable counters, {request},
/// {request}, {dataset}): the calibration caches of this process's runs, finished runs included.</item>
/// <item><c>imagecore.calibration.cache.bytes_held</c> (observable gauge, By): bytes the running runs' caches hold.</item>
/// <item><c>imagecore.calibration.bytes_read</c> (observable counter, By): bytes the calibration stores read, by their own count.</item>
/// <item><c>imagecore.worker.busy_time</c> and <c>imagecore.worker.cpu_time</c> (counters, s) [worker]: each worker's wall
/// time in quanta and its thread's CPU time in them; their rates side by side show actual core use against allocation.</item>
/// </list>
/// </summary>
public static class PipelineMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ImageCore.Execution";

    private static readonly Meter Meter = new(MeterName, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Quanta = Meter.CreateCounter<long>("imagecore.quanta", "{quantum}", "Quanta finished, by step and outcome");

    internal static readonly Histogram<double> QuantumDuration = Meter.CreateHistogram<double>("imagecore.quantum.duration", "s", "Wall time of each quantum that ran, by step");

    private static readonly object Gate = new();
    private static readonly List<(CalibrationCache Cache, CalibrationDirectory Store)> Active = [];
    private static long _finishedHits, _finishedMisses, _finishedEvictions, _finishedBytesRead;

    static PipelineMetrics()
    {
        Meter.CreateObservableCounter("imagecore.calibration.cache.hits", () => Sum(c => c.Cache.Counters.Hits, _finishedHits), "{request}", "Calibration requests served from the cache");
        Meter.CreateObservableCounter("imagecore.calibration.cache.misses", () => Sum(c => c.Cache.Counters.Misses, _finishedMisses), "{request}", "Calibration requests that read the store");
        Meter.CreateObservableCounter("imagecore.calibration.cache.evictions", () => Sum(c => c.Cache.Counters.Evictions, _finishedEvictions), "{dataset}", "Calibrations the cache policy dropped");
        Meter.CreateObservableGauge("imagecore.calibration.cache.bytes_held", () => Sum(c => c.Cache.Counters.BytesHeld, 0), "By", "Bytes (as stored) the running calibration caches hold");
        Meter.CreateObservableCounter("imagecore.calibration.bytes_read", () => Sum(c => c.Store.BytesRead, _finishedBytesRead), "By", "Bytes the calibration stores read");
    }

    private static long Sum(Func<(CalibrationCache Cache, CalibrationDirectory Store), long> value, long finished)
    {
        lock (Gate) return finished + Active.Sum(value);
    }

    /// <summary>Publishes <paramref name="cache"/>'s and <paramref name="store"/>'s counters until the result is disposed;
    /// after that their final counts stay in the totals.</summary>
    internal static IDisposable Track(CalibrationCache cache, CalibrationDirectory store)
    {
        var item = (cache, store);
        lock (Gate) Active.Add(item);
        return new Untrack(() =>
        {
            lock (Gate)
            {
                if (!Active.Remove(item)) return;
                var c = cache.Counters;
                (_finishedHits, _finishedMisses, _finishedEvictions) = (_finishedHits + c.Hits, _finishedMisses + c.Misses, _finishedEvictions + c.Evictions);
                _finishedBytesRead += store.BytesRead;
            }
        });
    }

    private sealed class Untrack(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    internal static readonly Counter<double> WorkerBusy = Meter.CreateCounter<double>("imagecore.worker.busy_time", "s", "Wall time each worker spent in quanta");

    internal static readonly Counter<double> WorkerCpu = Meter.CreateCounter<double>("imagecore.worker.cpu_time", "s", "CPU time of each worker's thread in quanta");

    /// <summary>Adds one quantum's wall and CPU seconds to worker <paramref name="worker"/>'s counters.</summary>
    internal static void WorkerTime(int worker, double busySeconds, double cpuSeconds)
    {
        var tag = new KeyValuePair<string, object?>("worker", worker);
        WorkerBusy.Add(busySeconds, tag);
        WorkerCpu.Add(cpuSeconds, tag);
    }

    /// <summary>Counts a finished quantum, and records its wall time when it ran (<paramref name="seconds"/> null: a quantum
    /// that could not even be planned, or was skipped).</summary>
    internal static void QuantumFinished(string step, string outcome, double? seconds)
    {
        Quanta.Add(1, new KeyValuePair<string, object?>("step", step), new KeyValuePair<string, object?>("outcome", outcome));
        if (seconds is { } s && outcome != "skipped") QuantumDuration.Record(s, new KeyValuePair<string, object?>("step", step));
    }
}
