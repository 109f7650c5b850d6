using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ImageCore.Execution;

namespace ImageCore.Cli;

/// <summary><c>imagecore topology [--json] [--sysfs-root DIR] [--placement POLICY --workers N [--check-pinning]]</c>.</summary>
internal static class TopologyCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print one JSON object (fields in README: imagecore topology)" };
        var root = new Option<DirectoryInfo?>("--sysfs-root") { Description = "directory playing the role of /sys (DIR/devices/system/cpu, DIR/devices/system/node, DIR/fs/cgroup); default /sys" };
        var placement = new Option<string?>("--placement") { Description = "also plan workers: none, compact, spread or l3:K" };
        var workers = new Option<int?>("--workers") { Description = "number of workers for --placement (default: as many as the policy can place, at most the allowed CPUs)" };
        var check = new Option<bool>("--check-pinning") { Description = "start the planned pinned workers and report each one's read-back affinity mask (live /sys only)" };
        var command = new Command("topology", "Show CPUs, NUMA nodes, L3 domains, the allowed set and where each fact came from") { json, root, placement, workers, check };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var topology = CpuTopology.Discover(parse.GetValue(root)?.FullName ?? "/sys");
            PlacementPlan? plan = null;
            if (parse.GetValue(placement) is string p)
            {
                var policy = PlacementPolicy.Parse(p);
                int n = parse.GetValue(workers) ?? Math.Min(topology.Allowed.Count, Placement.Capacity(topology, policy));
                plan = Placement.Plan(topology, policy, n);
            }
            else if (parse.GetValue(workers) is not null || parse.GetValue(check))
                throw new ArgumentException("--workers and --check-pinning need --placement POLICY");
            IReadOnlyList<WorkerInfo>? pinned = null;
            string? warning = null;
            if (parse.GetValue(check) && plan is not null)
            {
                if (!topology.IsLiveSystem) throw new ArgumentException($"--check-pinning pins threads on this machine: it needs the live /sys, not {topology.SysfsRoot}");
                using var pool = new PinnedWorkerPool(plan);
                pinned = pool.Workers;
                warning = pool.PinningWarning;
            }
            if (parse.GetValue(json)) WriteJson(Console.OpenStandardOutput(), topology, plan, pinned, warning);
            else WriteText(topology, plan, pinned);
            if (warning is not null) Console.Error.WriteLine($"imagecore: warning: {warning}");
        }));
        return command;
    }

    /// <summary>
    /// The JSON form: one object with exactly the keys sysfsRoot, liveSystem, online, cgroup, affinity, allowed,
    /// cores, caches, numaNodes, l3Domains, placement (null without --placement). Every fact carries its "source".
    /// </summary>
    internal static void WriteJson(Stream output, CpuTopology t, PlacementPlan? plan, IReadOnlyList<WorkerInfo>? pinned, string? warning)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("sysfsRoot", t.SysfsRoot);
        w.WriteBoolean("liveSystem", t.IsLiveSystem);
        Set(w, "online", t.Online, t.OnlineSource);
        Set(w, "cgroup", t.CgroupCpus, t.CgroupSource);
        Set(w, "affinity", t.ProcessAffinity, t.AffinitySource);
        Set(w, "allowed", t.Allowed, t.AllowedSource);
        w.WriteStartObject("cores");
        w.WriteNumber("physical", t.Cores.Count);
        w.WriteNumber("threads", t.Cores.Sum(c => c.Threads.Count));
        w.WriteNumber("packages", t.Cores.Select(c => c.Package).Distinct().Count());
        w.WriteString("source", t.CoreSource);
        w.WriteEndObject();
        w.WriteStartObject("caches");
        w.WriteStartArray("levels");
        foreach (var c in t.Caches)
        {
            w.WriteStartObject();
            w.WriteNumber("level", c.Level);
            w.WriteString("type", c.Type);
            w.WriteNumber("sizeBytes", c.SizeBytes);
            if (c.SharedByCpus is int shared) w.WriteNumber("sharedByCpus", shared); else w.WriteNull("sharedByCpus");
            if (c.Instances is int i) w.WriteNumber("instances", i); else w.WriteNull("instances");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("source", t.CacheSource);
        w.WriteEndObject();
        w.WriteStartObject("numaNodes");
        w.WriteStartArray("nodes");
        foreach (var n in t.NumaNodes)
        {
            w.WriteStartObject();
            w.WriteNumber("id", n.Id);
            w.WriteString("cpus", n.Cpus.ToString());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("source", t.NumaSource);
        w.WriteEndObject();
        w.WriteStartObject("l3Domains");
        w.WriteStartArray("domains");
        foreach (var d in t.L3Domains)
        {
            w.WriteStartObject();
            w.WriteNumber("index", d.Index);
            w.WriteNumber("numaNode", d.NumaNode);
            w.WriteString("cpus", d.Cpus.ToString());
            w.WriteString("allowedCpus", d.AllowedCpus.ToString());
            if (d.SizeBytes is long s) w.WriteNumber("sizeBytes", s); else w.WriteNull("sizeBytes");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("source", t.L3Source);
        w.WriteEndObject();
        if (plan is null) w.WriteNull("placement");
        else
        {
            w.WriteStartObject("placement");
            w.WriteString("policy", plan.Policy.ToString());
            w.WriteStartArray("workers");
            for (int i = 0; i < plan.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("worker", i);
                if (plan.Cpus[i] is int cpu) w.WriteNumber("cpu", cpu); else w.WriteNull("cpu");
                if (plan.NumaNodes[i] is int node) w.WriteNumber("numaNode", node); else w.WriteNull("numaNode");
                if (pinned is not null)
                {
                    w.WriteBoolean("pinned", pinned[i].Pinned);
                    if (pinned[i].AffinityMask is { } m) w.WriteString("readBackMask", m.ToString()); else w.WriteNull("readBackMask");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (warning is null) w.WriteNull("warning"); else w.WriteString("warning", warning);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.Flush();
        output.Write("\n"u8);
        output.Flush();
    }

    private static void Set(Utf8JsonWriter w, string name, CpuSet? cpus, string source)
    {
        w.WriteStartObject(name);
        if (cpus is null) { w.WriteNull("cpus"); w.WriteNull("count"); }
        else { w.WriteString("cpus", cpus.ToString()); w.WriteNumber("count", cpus.Count); }
        w.WriteString("source", source);
        w.WriteEndObject();
    }

    /// <summary>Plain lines, one fact per line with its source in brackets (greppable on batch nodes).</summary>
    private static void WriteText(CpuTopology t, PlacementPlan? plan, IReadOnlyList<WorkerInfo>? pinned)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"sysfs root: {t.SysfsRoot}{(t.IsLiveSystem ? " (this machine)" : " (fixture: affinity not used)")}");
        Console.WriteLine($"online: {t.Online} ({t.Online.Count} CPUs)  [{t.OnlineSource}]");
        Console.WriteLine($"cgroup: {(t.CgroupCpus is null ? "none" : $"{t.CgroupCpus} ({t.CgroupCpus.Count} CPUs)")}  [{t.CgroupSource}]");
        Console.WriteLine($"affinity: {(t.ProcessAffinity is null ? "-" : $"{t.ProcessAffinity} ({t.ProcessAffinity.Count} CPUs)")}  [{t.AffinitySource}]");
        Console.WriteLine($"allowed: {t.Allowed} ({t.Allowed.Count} CPUs)  [{t.AllowedSource}]");
        int threads = t.Cores.Sum(c => c.Threads.Count), packages = t.Cores.Select(c => c.Package).Distinct().Count();
        Console.WriteLine($"cores: {t.Cores.Count} physical, {threads} threads, {packages} package(s)  [{t.CoreSource}]");
        Console.WriteLine($"caches: {t.Caches.Count} levels  [{t.CacheSource}]");
        foreach (var c in t.Caches)
            Console.WriteLine($"  L{c.Level} {c.Type}: {Size(c.SizeBytes)}, {(c.SharedByCpus is int shared ? $"shared by {shared} CPU(s)" : "sharing not given")}{(c.Instances is int i ? $", {i} instance(s)" : "")}");
        Console.WriteLine($"numa nodes: {t.NumaNodes.Count}  [{t.NumaSource}]");
        foreach (var n in t.NumaNodes) Console.WriteLine($"  node {n.Id}: {n.Cpus} ({n.Cpus.Count} CPUs)");
        Console.WriteLine($"l3 domains: {t.L3Domains.Count}  [{t.L3Source}]");
        foreach (var d in t.L3Domains)
            Console.WriteLine($"  l3 {d.Index.ToString(inv)}: node {d.NumaNode}, cpus {d.Cpus}, allowed {(d.AllowedCpus.IsEmpty ? "none" : d.AllowedCpus.ToString())} ({d.AllowedCpus.Count}/{d.Cpus.Count}){(d.SizeBytes is long s ? $", {Size(s)}" : "")}");
        if (plan is null) return;
        Console.WriteLine($"placement {plan.Policy}: {plan.Count} worker(s)");
        for (int i = 0; i < plan.Count; i++)
        {
            string where = plan.Cpus[i] is int cpu ? $"cpu {cpu} (node {plan.NumaNodes[i]}, l3 {t.L3Of(cpu).Index})" : "unpinned";
            string check = pinned is null ? "" : $", read back {pinned[i].AffinityMask?.ToString() ?? "-"}{(pinned[i].Pinned ? " (pinned)" : "")}";
            Console.WriteLine($"  worker {i}: {where}{check}");
        }
    }

    private static string Size(long bytes) => bytes % (1L << 20) == 0
        ? $"{(bytes >> 20).ToString(CultureInfo.InvariantCulture)} MiB"
        : $"{(bytes >> 10).ToString(CultureInfo.InvariantCulture)} KiB";
}
