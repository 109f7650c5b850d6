using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ImageCore.Execution;
using ImageCore.Simulation;

namespace ImageCore.Cli;

/// <summary><c>imagecore plan --data DIR --out DIR --plan PLANDIR [--order O] [--until STEP] [--group-size N] [--cluster detector|visit]
/// [--dry-run --visits V --detectors all|LIST [--scale S] [--seed N]]</c>: plans a run and writes its clusters, for a batch system's job
/// arrays.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var defaults = new SimulationConfig();
        var data = new Option<DirectoryInfo>("--data") { Description = "data directory: raw/VISIT/DETECTOR.fits and calib/ (with --dry-run: where they would be)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "output directory the plan's jobs write to", Required = true };
        var planDir = new Option<DirectoryInfo>("--plan") { Description = "directory to write the plan into: graph.json, clusters/STEP.jsonl (a record per cluster: the cluster and its part of the graph) with clusters/STEP.index, plan.json", Required = true };
        var order = new Option<string>("--order") { Description = "quantum order inside each cluster: visit, detector, groups:G", DefaultValueFactory = _ => "visit" };
        var until = new Option<string>("--until") { Description = "last step: isr, characterize, warp, psfmatch or coadd", DefaultValueFactory = _ => "coadd" };
        var groupSize = new Option<int>("--group-size") { Description = "visits per group, at least (floor(V / N) groups, sizes differing by at most one: 800 visits in groups of 15 give 53 groups)", DefaultValueFactory = _ => new ClusterConfig().VisitsPerGroup };
        var cluster = new Option<string>("--cluster") { Description = "ISR clusters: detector (one per visit group and detector, OR5's) or visit (one per visit group and visit)", DefaultValueFactory = _ => "detector" };
        var dryRun = new Option<bool>("--dry-run") { Description = "plan the raws imagecore simulate would write (--visits, --detectors, --scale, --seed) without reading any file" };
        var visits = new Option<int>("--visits") { Description = "with --dry-run: number of visits", DefaultValueFactory = _ => defaults.Visits };
        var detectors = new Option<string>("--detectors") { Description = "with --dry-run: all, a raft (R22) or detector names (R22_S11,R01_S00)", DefaultValueFactory = _ => defaults.Detectors };
        var scale = new Option<int>("--scale") { Description = "with --dry-run: the simulation's scale (1, 2, 4 or 8)", DefaultValueFactory = _ => defaults.Scale };
        var seed = new Option<int>("--seed") { Description = "with --dry-run: the simulation's seed (it draws the pointings)", DefaultValueFactory = _ => defaults.Seed };
        var command = new Command("plan", "plan a run and cluster its quanta into jobs: ISR by detector within visit groups, warps by (tract, visit), coadds by patch")
        {
            data, output, planDir, order, until, groupSize, cluster, dryRun, visits, detectors, scale, seed,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var config = new PipelineConfig
            {
                Order = QuantumOrder.Parse(parse.GetValue(order)!),
                Until = RunCommand.ParseStep(parse.GetValue(until)!),
            };
            RunCommand.Validate(config);
            if (parse.GetValue(groupSize) < 1) throw new ArgumentException($"--group-size must be >= 1 (is {parse.GetValue(groupSize)})");
            var clustering = new ClusterConfig { VisitsPerGroup = parse.GetValue(groupSize), IsrKey = ParseKey(parse.GetValue(cluster)!) };
            var dataRepo = new DataRepository(parse.GetValue(data)!.FullName);
            var outRepo = new DataRepository(parse.GetValue(output)!.FullName);
            var clock = Stopwatch.StartNew();
            var cpu = new double[4];   // the process's CPU time (user and system, all threads) at each phase's end
            cpu[0] = CpuSeconds();
            var compact = parse.GetValue(dryRun)
                ? QuantumGraphPlanner.PlanSimulatedCompact(new SimulationConfig
                  {
                      Visits = parse.GetValue(visits), Detectors = parse.GetValue(detectors)!, Scale = parse.GetValue(scale), Seed = parse.GetValue(seed),
                  }, dataRepo, outRepo, config)
                : QuantumGraphPlanner.PlanCompact(dataRepo, outRepo, config);
            double graphSeconds = clock.Elapsed.TotalSeconds;
            cpu[1] = CpuSeconds();
            var clusters = compact.Cluster(clustering);
            double clusterSeconds = clock.Elapsed.TotalSeconds - graphSeconds;
            cpu[2] = CpuSeconds();
            string dir = parse.GetValue(planDir)!.FullName;
            PlanDirectory.Write(dir, compact, clusters);
            double writeSeconds = clock.Elapsed.TotalSeconds - graphSeconds - clusterSeconds;
            cpu[3] = CpuSeconds();
            Print(clusters.Summary, dir);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"planned in {graphSeconds:F1} s, clustered in {clusterSeconds:F1} s, written in {writeSeconds:F1} s (CPU {cpu[1] - cpu[0]:F1} s, {cpu[2] - cpu[1]:F1} s, {cpu[3] - cpu[2]:F1} s)"));
            foreach (var u in compact.Unplanned) Console.Error.WriteLine($"imagecore: not planned: {u.Name}: {u.Message}");
        }));
        return command;
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static IsrClusterKey ParseKey(string text) => text.Trim().ToLowerInvariant() switch
    {
        "detector" => IsrClusterKey.Detector,
        "visit" => IsrClusterKey.Visit,
        "patch" => throw new ArgumentException("--cluster patch: an ISR quantum (one detector of one visit) reaches several patches, so it has no patch to cluster by; warps and coadds are clustered by patch already (use detector or visit)"),
        _ => throw new ArgumentException($"--cluster '{text}' is not one of: detector, visit"),
    };

    private static void Print(ClusterPlanSummary s, string dir)
    {
        var sizes = s.Groups.Select(g => g.Visits).Distinct().Order();
        Console.WriteLine($"{s.Quanta} quanta; {s.Groups.Count} visit groups of {string.Join(" or ", sizes)} visits; ISR clustered by {s.IsrKey}");
        foreach (var step in s.Steps)
            Console.WriteLine($"{step.Name}: {step.Clusters} clusters, {step.Quanta} quanta (array indices 0-{Math.Max(0, step.Clusters - 1)})");
        Console.WriteLine($"plan: {PlanDirectory.SummaryPath(dir)}");
    }
}
