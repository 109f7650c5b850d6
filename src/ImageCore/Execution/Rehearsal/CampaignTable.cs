using System.Globalization;
using System.Text;

namespace ImageCore.Execution.Rehearsal;

/// <summary>Markdown tables of simulated campaigns and of their validation against real runs.</summary>
internal static class CampaignTable
{
    /// <summary>One row per campaign: cache, order, jobs, the store's files and bytes, the caches' counters, concurrency,
    /// idle cores and makespan of ISR, and the whole night's makespan.</summary>
    public static string Markdown(IReadOnlyList<CampaignResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| cache per node | order | jobs | store files | store bytes | cache hits | misses | evictions | ISR peak concurrency | ISR mean concurrency | idle cores | ISR makespan | night makespan |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var isr = r.Steps[0];
            sb.AppendLine(string.Create(inv, $"| {Policy(r.Cache)} | {r.Order} | {isr.Jobs:N0} ({r.Clustering}) | {r.StoreReads:N0} | {Bytes(r.StoreBytes)} | {r.Hits:N0} | {r.Misses:N0} | {r.Evictions:N0} | {isr.PeakConcurrency:N0} | {isr.MeanConcurrency:N0} | {isr.IdleCoreFraction:P0} | {Duration(isr.MakespanSeconds)} | {Duration(r.MakespanSeconds)} |"));
        }
        return sb.ToString();
    }

    /// <summary>One row per step of one campaign (e.g. ISR, then a visit-level step per visit or per detector).</summary>
    public static string Steps(IReadOnlyList<CampaignResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| step | quanta | jobs | peak concurrency | mean concurrency | idle cores | makespan |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var s in results.SelectMany(r => r.Steps.Skip(1)))
            sb.AppendLine(string.Create(inv, $"| {s.Name} | {s.Quanta:N0} | {s.Jobs:N0} | {s.PeakConcurrency:N0} | {s.MeanConcurrency:N0} | {s.IdleCoreFraction:P0} | {Duration(s.MakespanSeconds)} |"));
        return sb.ToString();
    }

    /// <summary>The validation: per case the real and simulated store files, bytes, hits, evictions and wall times.</summary>
    public static string Markdown(CampaignValidationResult validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"{validation.Visits} visits x {validation.Detectors} detectors, {validation.Threads} worker(s), store {validation.Store}; calibrated: {validation.IsrCpuSeconds:F3} CPU s per ISR quantum, reading {(double.IsPositiveInfinity(validation.ReadBytesPerSecond) ? "free" : (validation.ReadBytesPerSecond / 1e6).ToString("F0", inv) + " MB per CPU s")}"));
        sb.AppendLine();
        sb.AppendLine("| order | cache | store files real / sim | store bytes real / sim | hits real / sim | evictions real / sim | reads match | ISR wall s real / sim | wall error |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---|---:|---:|");
        foreach (var r in validation.Rows)
            sb.AppendLine(string.Create(inv, $"| {r.Order} | {Policy(r.Cache)} | {r.RealStoreReads} / {r.SimulatedStoreReads} | {r.RealStoreBytes:N0} / {r.SimulatedStoreBytes:N0} | {r.RealHits} / {r.SimulatedHits} | {r.RealEvictions} / {r.SimulatedEvictions} | {(r.ReadsMatch ? "yes" : "NO")} | {r.RealWallSeconds:F2} / {r.SimulatedWallSeconds:F2} | {r.WallError:+0%;-0%} |"));
        return sb.ToString();
    }

    /// <summary>A cache policy's text with a byte limit in SI units (<c>bytes:1 TB</c>).</summary>
    public static string Policy(string policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.StartsWith("bytes:", StringComparison.Ordinal) && long.TryParse(policy.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out long b)
            ? "bytes:" + Bytes(b).Replace(" ", "", StringComparison.Ordinal) : policy;
    }

    /// <summary>Bytes in SI units: <c>1.23 TB</c>.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        int u = 0;
        while (Math.Abs(bytes) >= 1000 && u < units.Length - 1) { bytes /= 1000; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{bytes:0.##} {units[u]}");
    }

    /// <summary>Seconds as <c>4.2 h</c>, <c>12.5 min</c> or <c>3.4 s</c>.</summary>
    public static string Duration(double seconds) => seconds >= 3600 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:F2} h")
        : seconds >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F1} min") : string.Create(CultureInfo.InvariantCulture, $"{seconds:F2} s");
}
