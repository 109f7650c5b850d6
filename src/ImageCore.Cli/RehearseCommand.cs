using System.CommandLine;
using System.Globalization;
using ImageCore.Camera;
using ImageCore.Execution;
using ImageCore.Execution.Rehearsal;
using ImageCore.Simulation;

namespace ImageCore.Cli;

/// <summary><c>imagecore rehearse contention|model|campaign</c>: the OR5 rehearsal harness (docs/rehearsal.md).</summary>
internal static class RehearseCommand
{
    public static Command Create() => new("rehearse", "Reproduce OR5's findings with numbers: L3 contention, a model for other machines, cache size and clustering at campaign scale")
    {
        Contention(), Model(), Campaign(),
    };

    private static Command Contention()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "directory for contention.json, contention.md and the SVG plots", DefaultValueFactory = _ => new DirectoryInfo("rehearsal") };
        var quick = new Option<bool>("--quick") { Description = "CI size: scale-8 inputs, one measured quantum per worker, no warm-up" };
        var workloads = new Option<string>("--workloads") { Description = "comma-separated: isr, characterize, warp, coadd, stream", DefaultValueFactory = _ => "isr,warp,coadd,stream" };
        var placements = new Option<string>("--placements") { Description = "comma-separated: none, compact, spread, l3:K (each up to the workers this machine lets it place)", DefaultValueFactory = _ => "none,compact,spread,l3:1" };
        var maxWorkers = new Option<int>("--max-workers") { Description = "most workers (0: every allowed CPU)", DefaultValueFactory = _ => 0 };
        var workerCounts = new Option<string?>("--workers") { Description = "comma-separated worker counts (default: 1, 2, 4, ... and the most each placement can place)" };
        var predict = new Option<string>("--predict") { Description = "also predict this topology tree with the model (Milan figures), or none", DefaultValueFactory = _ => Or5Tree };
        var quanta = new Option<int>("--quanta") { Description = "measured quanta per worker per configuration", DefaultValueFactory = _ => 3 };
        var scale = new Option<int>("--scale") { Description = "simulation scale of the inputs: 1 (a full detector), 2, 4 or 8", DefaultValueFactory = _ => 1 };
        var noCounters = new Option<bool>("--no-counters") { Description = "do not open hardware counters" };
        var command = new Command("contention", "Sweep workers x placements for ISR, warp, coadd and a stream control on pinned workers; table, plots and the model's error")
        {
            output, quick, workloads, placements, maxWorkers, workerCounts, quanta, scale, noCounters, predict,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            bool q = parse.GetValue(quick);
            var config = new ContentionConfig
            {
                Workloads = List(parse.GetValue(workloads)!),
                Placements = List(parse.GetValue(placements)!).Select(PlacementPolicy.Parse).ToList(),
                MaxWorkers = parse.GetValue(maxWorkers),
                WorkerCounts = parse.GetValue(workerCounts) is string wc ? List(wc).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList() : null,
                QuantaPerWorker = q ? 1 : parse.GetValue(quanta),
                WarmupQuantaPerWorker = q ? 0 : 1,
                Scale = q ? 8 : parse.GetValue(scale),
                StreamArrayBytes = q ? 8L << 20 : 64L << 20,
                StreamRepeats = q ? 2 : 10,
                HardwareCounters = !parse.GetValue(noCounters),
            };
            string dir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(dir);
            string work = Path.Combine(Path.GetTempPath(), "imagecore-contention-" + Guid.NewGuid().ToString("N")[..8]);
            ContentionReport report;
            try
            {
                report = ContentionSweep.Run(config, work, Console.WriteLine);
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
            File.WriteAllText(Path.Combine(dir, "contention.json"), RehearsalJson.Serialize(report));
            string table = ContentionTable.Markdown(report);
            File.WriteAllText(Path.Combine(dir, "contention.md"), "# Contention sweep\n\n" + table);
            foreach (var (file, svg) in ContentionTable.Plots(report)) File.WriteAllText(Path.Combine(dir, file), svg);
            Console.WriteLine();
            Console.WriteLine(table);
            Console.WriteLine($"wrote {Path.Combine(dir, "contention.json")}, contention.md and {report.Points.Select(p => p.Workload).Distinct().Count() * 2} plots");
            string tree = parse.GetValue(predict)!;
            if (tree != "none" && report.Validation is not null)
            {
                if (!Directory.Exists(tree)) Console.Error.WriteLine($"imagecore: no prediction: topology tree {tree} not found (--predict DIR or none; {MakeTrees} writes the fixture trees)");
                else WriteOr5(report, tree, MachineProfile.Milan(), dir);
            }
        }));
        return command;
    }

    private static Command Model()
    {
        var profile = new Option<FileInfo>("--profile") { Description = "contention.json of a sweep (its single-worker profiles and measured bandwidths)", Required = true };
        var root = new Option<DirectoryInfo>("--sysfs-root") { Description = "topology of the machine to predict (a tree laid out as /sys)", DefaultValueFactory = _ => new DirectoryInfo(Or5Tree) };
        var coreBandwidth = new Option<double>("--core-bandwidth") { Description = "GB/s one Milan core draws alone (an assumption unless measured)", DefaultValueFactory = _ => 20 };
        var sustained = new Option<double>("--sustained") { Description = "fraction of the documented peak bandwidths reached (assumption)", DefaultValueFactory = _ => 0.8 };
        var coreSpeed = new Option<double>("--core-speed") { Description = "compute speed of a Milan core relative to the profiled machine's", DefaultValueFactory = _ => 1.0 };
        var output = new Option<DirectoryInfo>("--out") { Description = "directory for or5.json, or5.md and the plots", DefaultValueFactory = _ => new DirectoryInfo("rehearsal") };
        var command = new Command("model", "Predict OR5's 120-core Milan node from a sweep's profiles: 8 jobs compact/unpinned/spread, packing 60/90/120, l3:K; recommend a placement")
        {
            profile, root, coreBandwidth, sustained, coreSpeed, output,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var report = RehearsalJson.ReadContention(File.ReadAllText(parse.GetValue(profile)!.FullName));
            if (report.Validation is null) throw new ArgumentException($"{parse.GetValue(profile)!.FullName} has no measured machine profile (the sweep needs the stream workload)");
            string rootDir = parse.GetValue(root)!.FullName;
            if (!Directory.Exists(rootDir)) throw new ArgumentException($"--sysfs-root {rootDir} does not exist (the fixture trees are written under testdata/topology/ of the source tree by {MakeTrees})");
            var milan = MachineProfile.Milan(parse.GetValue(coreBandwidth) * 1e9, parse.GetValue(sustained), parse.GetValue(coreSpeed));
            string dir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(dir);
            WriteOr5(report, rootDir, milan, dir);
        }));
        return command;
    }

    /// <summary>The OR5 node's fixture tree, relative to the source tree's root (written by <see cref="MakeTrees"/>).</summary>
    private static string Or5Tree => Path.Combine("testdata", "topology", "milan7713-2s-120");

    /// <summary>The command that writes the fixture trees, run in the source tree's root.</summary>
    private const string MakeTrees = "/usr/bin/python3 testdata/topology/make_trees.py";

    private static void WriteOr5(ContentionReport report, string tree, MachineProfile milan, string dir)
    {
        var topology = CpuTopology.Discover(tree);
        var prediction = ContentionModel.PredictOr5(report.Profiles, report.Validation!.Machine, milan, topology);
        File.WriteAllText(Path.Combine(dir, "or5.json"), RehearsalJson.Serialize(prediction));
        string table = ContentionTable.Markdown(prediction);
        File.WriteAllText(Path.Combine(dir, "or5.md"), "# OR5 node, predicted\n\n" + table);
        foreach (var (file, svg) in ContentionTable.Plots(prediction)) File.WriteAllText(Path.Combine(dir, file), svg);
        Console.WriteLine();
        Console.WriteLine(table);
        Console.WriteLine($"wrote {Path.Combine(dir, "or5.json")}, or5.md and plots");
    }

    private static Command Campaign()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "directory for campaign.json and campaign.md", DefaultValueFactory = _ => new DirectoryInfo("rehearsal") };
        var quick = new Option<bool>("--quick") { Description = "CI size: 8 nodes x 32 cores, 60 visits, orders visit, detector, groups:4; a small validation when --validate" };
        var nodes = new Option<int>("--nodes") { Description = "batch nodes", DefaultValueFactory = _ => 72 };
        var cores = new Option<int>("--cores") { Description = "cores (job slots) per node", DefaultValueFactory = _ => 120 };
        var visits = new Option<int>("--visits") { Description = "visits in the night", DefaultValueFactory = _ => 800 };
        var detectors = new Option<int>("--detectors") { Description = "detectors per visit", DefaultValueFactory = _ => 189 };
        var caches = new Option<string>("--caches") { Description = "comma-separated cache policies per node", DefaultValueFactory = _ => "datasets:500,bytes:1TB" };
        var orders = new Option<string>("--orders") { Description = "comma-separated orders: visit, detector, groups:G", DefaultValueFactory = _ => "visit,detector,groups:53" };
        var isrSeconds = new Option<double>("--isr-seconds") { Description = "CPU seconds of one ISR quantum (an assumption for the LSST pipelines' ISR; use a measured figure)", DefaultValueFactory = _ => 60 };
        var profile = new Option<FileInfo?>("--profile") { Description = "contention.json of a sweep: ISR seconds per quantum from its ISR profile, carried to a full detector (times scale squared); overrides --isr-seconds" };
        var latency = new Option<double>("--store-latency") { Description = "shared store latency per read, ms", DefaultValueFactory = _ => 20 };
        var bandwidth = new Option<double>("--store-bandwidth") { Description = "shared store bandwidth, MB/s for all nodes together", DefaultValueFactory = _ => 2500 };
        var visitSeconds = new Option<double>("--visit-step-seconds") { Description = "CPU seconds of a visit-level step's quantum (finalizeCharacterization); 0: not simulated", DefaultValueFactory = _ => 1200 };
        var validate = new Option<bool>("--validate") { Description = "also check the simulator against real imagecore run campaigns on simulated scale-8 data (a few minutes)" };
        var threads = new Option<int>("--validate-threads") { Description = "workers of the validation runs", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("campaign", "Simulate a night of ISR over a batch cluster: store reads, concurrency and makespan per cache policy and order")
        {
            output, quick, nodes, cores, visits, detectors, caches, orders, isrSeconds, profile, latency, bandwidth, visitSeconds, validate, threads,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            bool q = parse.GetValue(quick);
            var store = new ThrottledStoreConfig
            {
                Latency = TimeSpan.FromMilliseconds(parse.GetValue(latency)),
                BandwidthBytesPerSecond = parse.GetValue(bandwidth) is double mb and > 0 ? mb * 1e6 : double.PositiveInfinity,
            };
            var baseConfig = new CampaignConfig
            {
                Nodes = q ? 8 : parse.GetValue(nodes), CoresPerNode = q ? 32 : parse.GetValue(cores), Visits = q ? 60 : parse.GetValue(visits),
                Detectors = parse.GetValue(detectors), IsrCpuSeconds = parse.GetValue(isrSeconds), Store = store,
            };
            string isrSource = "assumed";
            if (parse.GetValue(profile) is FileInfo pf)
            {
                var sweep = RehearsalJson.ReadContention(File.ReadAllText(pf.FullName));
                var isr = sweep.Profiles.FirstOrDefault(p => p.Name == "isr") ?? throw new ArgumentException($"{pf.FullName} has no isr profile");
                baseConfig = baseConfig with { IsrCpuSeconds = isr.SecondsAlone * sweep.Scale * sweep.Scale };
                isrSource = string.Create(CultureInfo.InvariantCulture, $"measured alone at scale {sweep.Scale} ({isr.SecondsAlone:F3} s, {pf.Name}), times {sweep.Scale * sweep.Scale}");
            }
            var orderList = (q ? ["visit", "detector", "groups:4"] : List(parse.GetValue(orders)!)).Select(QuantumOrder.Parse).ToList();
            var cacheList = List(parse.GetValue(caches)!).Select(CachePolicy.Parse).ToList();
            string work = Path.Combine(Path.GetTempPath(), "imagecore-campaign-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                // calibration sizes: one detector simulated at scale 8, its files carried to full-size LSSTCam detectors
                string template = Path.Combine(work, "template");
                Simulator.Run(template, new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = 8, Band = baseConfig.Band });
                var catalog = CalibrationCatalog.FullScale(new DataRepository(template).CalibrationRoot, baseConfig.Band, CameraModel.LsstCam);
                var results = new List<CampaignResult>();
                foreach (var cache in cacheList)
                    foreach (var order in orderList)
                    {
                        var r = CampaignSimulator.Run(baseConfig with { Cache = cache, Order = order }, catalog);
                        results.Add(r);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{CampaignTable.Policy(cache.ToString())} {order}: {r.StoreReads:N0} store reads, {CampaignTable.Bytes(r.StoreBytes)}, ISR makespan {CampaignTable.Duration(r.Steps[0].MakespanSeconds)} (simulated in {r.SimulationSeconds:F1} s)"));
                    }
                var visitSteps = new List<CampaignResult>();
                if (parse.GetValue(visitSeconds) is double vs and > 0)
                    foreach (bool perDetector in new[] { false, true })
                        visitSteps.Add(CampaignSimulator.Run(baseConfig with
                        {
                            Cache = cacheList[^1], Order = orderList[^1], VisitStep = new VisitStepConfig { CpuSecondsPerVisit = vs, PerDetector = perDetector },
                        }, catalog));
                CampaignValidationResult? validation = null;
                if (parse.GetValue(validate))
                {
                    string data = Path.Combine(work, "data");
                    Simulator.Run(data, new SimulationConfig { Visits = q ? 2 : 4, Detectors = q ? "R22_S11,R22_S12,R22_S21" : "R22", Scale = 8, Seed = 5 });
                    validation = CampaignValidation.Run(data, Path.Combine(work, "runs"), new CampaignValidationConfig { Threads = parse.GetValue(threads) }, Console.WriteLine);
                }
                string dir = parse.GetValue(output)!.FullName;
                Directory.CreateDirectory(dir);
                var report = new CampaignReport(results, visitSteps, validation);
                File.WriteAllText(Path.Combine(dir, "campaign.json"), RehearsalJson.Serialize(report));
                string md = string.Create(CultureInfo.InvariantCulture,
                    $"# Campaign\n\n{baseConfig.Nodes} nodes x {baseConfig.CoresPerNode} cores, {baseConfig.Visits} visits x {baseConfig.Detectors} detectors, ISR {baseConfig.IsrCpuSeconds:0.###} CPU s per quantum ({isrSource}), store {CampaignValidation.Describe(store)}; calibration sizes: {catalog.Source}.\n\n")
                    + CampaignTable.Markdown(results)
                    + (visitSteps.Count > 0 ? $"\nVisit-level step after ISR ({CampaignTable.Policy(cacheList[^1].ToString())}, {orderList[^1]}):\n\n" + CampaignTable.Steps(visitSteps) : "")
                    + (validation is null ? "" : "\nValidation against real `imagecore run` campaigns:\n\n" + CampaignTable.Markdown(validation));
                File.WriteAllText(Path.Combine(dir, "campaign.md"), md);
                Console.WriteLine();
                Console.WriteLine(md);
                Console.WriteLine($"wrote {Path.Combine(dir, "campaign.json")} and campaign.md");
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
        }));
        return command;
    }

    private static List<string> List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
