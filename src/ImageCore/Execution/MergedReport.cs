using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Execution;

/// <summary>One step of a campaign: its clusters' reports summed.</summary>
/// <param name="Name">The step.</param>
/// <param name="Clusters">Its clusters in the plan.</param>
/// <param name="Reports">Its clusters that left a report (a cluster whose quanta were all done already leaves none).</param>
/// <param name="Quanta">Its quanta in the plan.</param>
/// <param name="Succeeded">Quanta that wrote their outputs, summed over the reports.</param>
/// <param name="Failed">Quanta that failed.</param>
/// <param name="Skipped">Quanta not run because an input was not made.</param>
/// <param name="Empty">Quanta that had nothing to write.</param>
/// <param name="WallSeconds">The reports' wall time of the step, summed (the batch system's time, not the night's span).</param>
/// <param name="CpuSeconds">Their CPU time, summed.</param>
/// <param name="MaxClusterWallSeconds">The slowest cluster's wall time of the step.</param>
/// <param name="Outputs">Output files its reports list.</param>
/// <param name="BytesWritten">Their size on disk now (files gone since are not counted).</param>
public sealed record MergedStepReport(string Name, int Clusters, int Reports, int Quanta, int Succeeded, int Failed, int Skipped, int Empty,
                                        double WallSeconds, double CpuSeconds, double MaxClusterWallSeconds, int Outputs, long BytesWritten);

/// <summary>
/// One report for a campaign run cluster by cluster (<c>imagecore report merge</c>): the per-cluster
/// <see cref="PipelineReport"/>s under <c>OUTPUT/reports/STEP/NNNNN.json</c> (<see cref="ClusterRunner"/>) merged step by
/// step, in the spirit of the single run's <c>report.json</c>: per step the quanta and how they ended, the time and the
/// bytes written; every failure; the outputs; the calibration counters summed.
/// </summary>
/// <param name="Plan">The plan directory.</param>
/// <param name="Data">The data repository.</param>
/// <param name="Output">The output repository.</param>
/// <param name="Reports">Cluster reports merged.</param>
/// <param name="FirstStarted">When the earliest cluster run started (UTC, ISO 8601), or empty with no report.</param>
/// <param name="LastEnded">When the latest ended (start plus wall time).</param>
/// <param name="SpanSeconds">From the first start to the last end.</param>
/// <param name="WallSeconds">The cluster runs' wall time, summed.</param>
/// <param name="CpuSeconds">Their CPU time, summed.</param>
/// <param name="Steps">Per step, in the plan's order.</param>
/// <param name="Failures">Every failed or skipped quantum of every report, by step and quantum.</param>
/// <param name="PostIsr">Post-ISR exposures written, sorted.</param>
/// <param name="Calexps">Characterized exposures written, sorted.</param>
/// <param name="Warps">Direct warps written, sorted.</param>
/// <param name="PsfMatchedWarps">PSF-matched warps written, sorted.</param>
/// <param name="Coadds">Coadds written, sorted.</param>
/// <param name="CalibrationHits">Calibration cache hits, summed.</param>
/// <param name="CalibrationMisses">Calibration cache misses, summed.</param>
/// <param name="CalibrationBytesRead">Bytes the calibration stores read, summed.</param>
public sealed record MergedReport(string Plan, string Data, string Output, int Reports, string FirstStarted, string LastEnded, double SpanSeconds,
    double WallSeconds, double CpuSeconds, IReadOnlyList<MergedStepReport> Steps, IReadOnlyList<PipelineFailure> Failures,
    IReadOnlyList<string> PostIsr, IReadOnlyList<string> Calexps, IReadOnlyList<string> Warps, IReadOnlyList<string> PsfMatchedWarps, IReadOnlyList<string> Coadds, long CalibrationHits, long CalibrationMisses,
    long CalibrationBytesRead)
{
    /// <summary>The report as indented JSON (camelCase names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, MergedReportJsonContext.Default.MergedReport);

    /// <summary>Merges the cluster reports of the plan in <paramref name="planDir"/>.</summary>
    /// <exception cref="IOException">The plan or a report cannot be read.</exception>
    /// <exception cref="JsonException">A malformed plan or report (the message names the file).</exception>
    public static MergedReport Merge(string planDir)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        var summary = PlanDirectory.ReadSummary(planDir);
        var output = new DataRepository(summary.Output);
        var reports = new List<PipelineReport>();
        var perStep = new Dictionary<string, List<PipelineReport>>(StringComparer.Ordinal);
        foreach (var step in summary.Steps)
        {
            var list = new List<PipelineReport>();
            for (int i = 0; i < step.Clusters; i++)
            {
                string path = output.ClusterReport(step.Name, i);
                if (!File.Exists(path)) continue;
                PipelineReport report;
                try
                {
                    report = JsonSerializer.Deserialize(File.ReadAllBytes(path), ReportJsonContext.Default.PipelineReport) ?? throw new JsonException("null report");
                }
                catch (JsonException e)
                {
                    throw new JsonException($"{path}: not a cluster report ({e.Message})", e);
                }
                list.Add(report);
            }
            perStep[step.Name] = list;
            reports.AddRange(list);
        }
        var steps = summary.Steps.Select(step =>
        {
            var runs = perStep[step.Name].SelectMany(r => r.Steps.Where(s => s.Name == step.Name)).ToList();
            var outputs = perStep[step.Name].SelectMany(r => OutputsOf(r, step.Name)).Distinct(StringComparer.Ordinal).ToList();
            long bytes = outputs.Select(o => new FileInfo(Path.Combine(summary.Output, o))).Where(f => f.Exists).Sum(f => f.Length);
            return new MergedStepReport(step.Name, step.Clusters, perStep[step.Name].Count, step.Quanta, runs.Sum(s => s.Succeeded), runs.Sum(s => s.Failed),
                runs.Sum(s => s.Skipped), runs.Sum(s => s.Empty), runs.Sum(s => s.WallSeconds), runs.Sum(s => s.CpuSeconds),
                runs.Count == 0 ? 0 : runs.Max(s => s.WallSeconds), outputs.Count, bytes);
        }).ToList();
        var starts = reports.Select(r => DateTime.Parse(r.Started, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)).ToList();
        var ends = reports.Select((r, i) => starts[i].AddSeconds(r.WallSeconds)).ToList();
        string first = starts.Count == 0 ? "" : starts.Min().ToString("o", CultureInfo.InvariantCulture);
        string last = ends.Count == 0 ? "" : ends.Max().ToString("o", CultureInfo.InvariantCulture);
        List<string> All(Func<PipelineReport, IReadOnlyList<string>> pick) => reports.SelectMany(pick).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var failures = reports.SelectMany(r => r.Failures).OrderBy(f => PipelineSteps.IndexOf(f.Step) is int k and >= 0 ? k : int.MaxValue)
            .ThenBy(f => f.Quantum, StringComparer.Ordinal).ToList();
        return new MergedReport(Path.GetFullPath(planDir), summary.Data, summary.Output, reports.Count, first, last,
            starts.Count == 0 ? 0 : (ends.Max() - starts.Min()).TotalSeconds, reports.Sum(r => r.WallSeconds), reports.Sum(r => r.CpuSeconds), steps, failures,
            All(r => r.PostIsr), All(r => r.Calexps), All(r => r.Warps), All(r => r.PsfMatchedWarps), All(r => r.Coadds), reports.Sum(r => r.Calibrations.Hits), reports.Sum(r => r.Calibrations.Misses),
            reports.Sum(r => r.Calibrations.StoreBytesRead));
    }

    private static IReadOnlyList<string> OutputsOf(PipelineReport report, string step) => step switch
    {
        PipelineSteps.Isr => report.PostIsr,
        PipelineSteps.Characterize => report.Calexps,
        PipelineSteps.Warp => report.Warps,
        PipelineSteps.PsfMatch => report.PsfMatchedWarps,
        PipelineSteps.Coadd => report.Coadds,
        _ => [],
    };
}

/// <summary>Source-generated JSON metadata for the campaign report: camelCase names, indented, nothing left out.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(MergedReport))]
internal sealed partial class MergedReportJsonContext : JsonSerializerContext;
