using System.Globalization;
using System.Text;

namespace ImageCore.Execution.Rehearsal;

/// <summary>Markdown tables and SVG plots of a contention sweep and of the model's figures.</summary>
internal static class ContentionTable
{
    /// <summary>The sweep: the machine, each workload alone, every configuration, and the model against the measurements.</summary>
    public static string Markdown(ContentionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        var m = report.Machine;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"Machine: {m.Cpu}, {m.AllowedCpus} CPUs allowed, {m.Sockets} NUMA node(s), {m.L3Domains} L3 domain(s){(m.L3Bytes is long l ? $" of {l >> 20} MiB" : "")} [{m.L3Source}]; load average {m.LoadAverageBefore?.ToString("F2", inv) ?? "?"} before, {m.LoadAverageAfter?.ToString("F2", inv) ?? "?"} after; started {report.Started}."));
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Inputs at simulation scale {report.Scale}. Hardware counters: {report.Counters}."));
        sb.AppendLine();
        sb.AppendLine("| workload | alone s | bytes per quantum | bytes from | working set | what |");
        sb.AppendLine("|---|---:|---:|---|---:|---|");
        foreach (var p in report.Profiles)
            sb.AppendLine(string.Create(inv, $"| {p.Name} | {p.SecondsAlone:F3} | {CampaignTable.Bytes(p.BytesPerQuantum)} | {p.BytesSource} | {CampaignTable.Bytes(p.WorkingSetBytes)} | {p.Description} |"));
        sb.AppendLine();
        sb.AppendLine("| workload | placement | workers | CPUs | median s | min - max s | quanta/s | slowdown | CPU/wall (CPU/busy) per worker | cycles | instructions | LLC misses |");
        sb.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var p in report.Points)
            sb.AppendLine(string.Create(inv, $"| {p.Workload} | {p.Placement} | {p.Workers} | {p.Cpus}{(p.Placement != "none" && !p.Pinned ? " (pin refused)" : "")} | {p.MedianSeconds:F3} | {p.MinSeconds:F3} - {p.MaxSeconds:F3} | {p.QuantaPerSecond:F2} | {p.Slowdown:F2} | {string.Join(", ", p.CpuOverWallPerWorker.Zip(p.CpuOverBusyPerWorker, (w, b) => $"{w?.ToString("F2", inv) ?? "?"} ({b?.ToString("F2", inv) ?? "?"})"))} | {Count(p.Cycles)} | {Count(p.Instructions)} | {Count(p.LlcMisses)} |"));
        if (report.Validation is { } v)
        {
            sb.AppendLine();
            sb.AppendLine($"Model on this machine ({v.Machine.Sources}):");
            sb.AppendLine();
            sb.AppendLine("| workload | placement | workers | measured s | predicted s | error | measured on-CPU s | error on-CPU |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (var c in v.Checks)
                sb.AppendLine(string.Create(inv, $"| {c.Workload} | {c.Placement} | {c.Workers} | {c.MeasuredSeconds:F3} | {c.PredictedSeconds:F3} | {c.Error:+0.0%;-0.0%} | {c.MeasuredOnCpuSeconds?.ToString("F3", inv) ?? "n/a"} | {c.OnCpuError?.ToString("+0.0%;-0.0%", inv) ?? "n/a"} |"));
            sb.AppendLine();
            sb.AppendLine("Mean |error| with more than one worker, against wall time: " + string.Join(", ", v.MeanAbsoluteError.Select(e => string.Create(inv, $"{e.Key} {e.Value:P1}")))
                          + "; against on-CPU time (median x CPU/busy, which leaves out the time other processes held the core): "
                          + string.Join(", ", v.MeanAbsoluteOnCpuError.Select(e => string.Create(inv, $"{e.Key} {e.Value:P1}"))) + ".");
        }
        return sb.ToString();
    }

    /// <summary>The OR5 figures: per workload and scenario, then the recommendations.</summary>
    public static string Markdown(Or5Prediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"Machine: {prediction.Machine.Name}, topology {prediction.Topology}; {prediction.Machine.Sources}. Profiles measured on {prediction.ProfiledOn}.");
        sb.AppendLine();
        sb.AppendLine("| workload | placement | jobs | most jobs per L3 | s per quantum | slowdown vs alone | node quanta/s | bound by |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var p in prediction.Predictions)
            sb.AppendLine(string.Create(inv, $"| {p.Workload} | {p.Placement} | {p.Jobs} | {p.MaxJobsPerDomain} | {p.SecondsPerQuantum:F3} | {p.Slowdown:F2} | {p.QuantaPerSecond:F1} | {p.BoundBy} |"));
        sb.AppendLine();
        foreach (string r in prediction.Recommendations) sb.AppendLine("- " + r);
        return sb.ToString();
    }

    /// <summary>Per workload two plots: slowdown against workers, and node throughput against workers, one line per placement.
    /// Returns (file name, SVG) pairs: <c>slowdown-WORKLOAD.svg</c>, <c>throughput-WORKLOAD.svg</c>.</summary>
    public static IReadOnlyList<(string File, string Svg)> Plots(ContentionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plots = new List<(string, string)>();
        foreach (var w in report.Points.GroupBy(p => p.Workload))
        {
            var byPlacement = w.GroupBy(p => p.Placement).ToList();
            plots.Add(($"slowdown-{w.Key}.svg", SvgPlot.Lines($"{w.Key}: slowdown vs workers", "workers", "time per quantum / alone",
                byPlacement.Select(g => new PlotSeries(g.Key, g.OrderBy(p => p.Workers).Select(p => ((double)p.Workers, p.Slowdown)).ToList())).ToList())));
            plots.Add(($"throughput-{w.Key}.svg", SvgPlot.Lines($"{w.Key}: node throughput vs workers", "workers", "quanta per second",
                byPlacement.Select(g => new PlotSeries(g.Key, g.OrderBy(p => p.Workers).Select(p => ((double)p.Workers, p.QuantaPerSecond)).ToList())).ToList())));
        }
        return plots;
    }

    /// <summary>The OR5 predictions as plots: per workload, slowdown against jobs for compact, unpinned and spread.</summary>
    public static IReadOnlyList<(string File, string Svg)> Plots(Or5Prediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        return prediction.Predictions.GroupBy(p => p.Workload).Select(w => ($"or5-slowdown-{w.Key}.svg", SvgPlot.Lines($"{w.Key} on a 120-core Milan node (model)", "jobs", "slowdown vs alone",
            w.Where(p => p.Placement is "compact" or "none" or "spread").GroupBy(p => p.Placement)
             .Select(g => new PlotSeries(g.Key == "none" ? "unpinned" : g.Key, g.OrderBy(p => p.Jobs).Select(p => ((double)p.Jobs, p.Slowdown)).ToList())).ToList()))).ToList();
    }

    private static string Count(long? v) => v?.ToString("N0", CultureInfo.InvariantCulture) ?? "n/a";
}
