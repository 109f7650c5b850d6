using System.Diagnostics.Metrics;

namespace ImageCore.Execution;

/// <summary>
/// The runner's live figures as <see cref="System.Diagnostics.Metrics"/> instruments on the meter
/// <c>ImageCore.Execution</c>, so that <c>dotnet-counters monitor --counters ImageCore.Execution -n imagecore</c>
/// watches a run. Instruments (tags in brackets):
/// <list type="bullet">
/// <item><c>imagecore.quanta</c> (counter, {quantum}) [step, outcome]: quanta finished: succeeded, failed, skipped or empty.</item>
/// <item><c>imagecore.quantum.duration</c> (histogram, s) [step]: wall time of each quantum that ran.</item>
/// </list>
/// </summary>
public static class PipelineMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ImageCore.Execution";

    private static readonly Meter Meter = new(MeterName, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Quanta = Meter.CreateCounter<long>("imagecore.quanta", "{quantum}", "Quanta finished, by step and outcome");

    internal static readonly Histogram<double> QuantumDuration = Meter.CreateHistogram<double>("imagecore.quantum.duration", "s", "Wall time of each quantum that ran, by step");

    /// <summary>Counts a finished quantum, and records its wall time when it ran (<paramref name="seconds"/> null: a quantum
    /// that could not even be planned, or was skipped).</summary>
    internal static void QuantumFinished(string step, string outcome, double? seconds)
    {
        Quanta.Add(1, new KeyValuePair<string, object?>("step", step), new KeyValuePair<string, object?>("outcome", outcome));
        if (seconds is { } s && outcome != "skipped") QuantumDuration.Record(s, new KeyValuePair<string, object?>("step", step));
    }
}
