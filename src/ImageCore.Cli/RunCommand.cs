using System.CommandLine;
using System.Runtime.InteropServices;
using ImageCore.Characterize;
using ImageCore.Coadd;
using ImageCore.Execution;
using ImageCore.Isr;
using Spectre.Console;

namespace ImageCore.Cli;

/// <summary><c>imagecore run --data DIR --out DIR [--threads N] [--statistic S] [--order O] [--affinity A] [--cache POLICY] [--calib-latency MS]
/// [--calib-bandwidth MB/s] [--until STEP] [--isr-config FILE.json] [--characterize-config FILE.json] [--plan PLANDIR --cluster STEP:INDEX|FILE]</c>. With a plan
/// (<c>imagecore plan</c>), runs one cluster of it (one job of a batch array) and writes its report to
/// <c>OUT/reports/STEP/NNNNN.json</c>.</summary>
internal static class RunCommand
{
    /// <summary>Exit code when the run finished but some quanta failed (their errors are in the report).</summary>
    public const int SomeQuantaFailed = 2;

    /// <summary>Exit code after Ctrl-C (SIGINT), as a shell reports a process ended by that signal.</summary>
    public const int Cancelled = 130;

    /// <summary>Exit code after SIGTERM (what batch systems send before they kill a job), as a shell reports it.</summary>
    public const int Terminated = 143;

    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "data directory: raw/VISIT/DETECTOR.fits and calib/ (as imagecore simulate writes)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "output directory: postisr/, warp/, coadd/, report.json", Required = true };
        var threads = new Option<int>("--threads") { Description = "quanta run concurrently on up to this many threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var statistic = new Option<string>("--statistic") { Description = "coadd statistic: comparewarp (Rubin's artifact rejection with the PSF-matched warps, then a weighted mean), mean, meanclip or median (the direct warps alone)", DefaultValueFactory = _ => "comparewarp" };
        var order = new Option<string>("--order") { Description = "quantum order: visit (visit-major), detector (a detector's visits together, a patch's warps together), groups:G (G visit groups, detector-clustered inside each)", DefaultValueFactory = _ => "visit" };
        var cache = new Option<string>("--cache") { Description = "calibration cache: " + CachePolicy.AcceptedForms + "; held in memory", DefaultValueFactory = _ => "bytes:4GB" };
        var latency = new Option<double>("--calib-latency") { Description = "added latency per calibration read, milliseconds (a throttled store for rehearsals)", DefaultValueFactory = _ => 0 };
        var bandwidth = new Option<double>("--calib-bandwidth") { Description = "aggregate bandwidth of the calibration store, MB/s shared by all workers (0: unlimited)", DefaultValueFactory = _ => 0 };
        var affinity = new Option<string>("--affinity") { Description = "worker placement: none (the OS decides), compact (fill one L3 domain after another), spread (round-robin across L3 domains), l3:K (at most K workers per L3 domain)", DefaultValueFactory = _ => "none" };
        var until = new Option<string>("--until") { Description = "last step to run: isr, characterize, warp, psfmatch or coadd", DefaultValueFactory = _ => "coadd" };
        var isrConfig = new Option<FileInfo?>("--isr-config") { Description = "IsrConfig as JSON for every ISR quantum, as imagecore isr --config reads it (steps to switch off, overscan settings, ...)" };
        var characterizeConfig = new Option<FileInfo?>("--characterize-config") { Description = "CharacterizeConfig as JSON for every characterize quantum, as imagecore characterize --config reads it (full-scale pixel sizes; scaled with the data)" };
        var planDir = new Option<DirectoryInfo?>("--plan") { Description = "a plan directory (imagecore plan): run one of its clusters, given by --cluster" };
        var cluster = new Option<string?>("--cluster") { Description = "with --plan: the cluster to run, STEP:INDEX (isr:12) or a cluster file; quanta whose outputs exist and verify are not run again" };
        var command = new Command("run", "ISR every raw, characterize it, warp each visit onto the patches it touches, coadd each patch")
        {
            data, output, threads, statistic, order, affinity, cache, latency, bandwidth, until, isrConfig, characterizeConfig, planDir, cluster,
        };
        command.SetAction(parse =>
        {
            int code = 0;
            int fatal = CliErrors.Run(() =>
            {
                var config = new PipelineConfig
                {
                    Threads = parse.GetValue(threads),
                    Order = QuantumOrder.Parse(parse.GetValue(order)!),
                    Placement = PlacementPolicy.Parse(parse.GetValue(affinity)!),
                    Cache = CachePolicy.Parse(parse.GetValue(cache)!),
                    CalibrationStore = Throttle(parse.GetValue(latency), parse.GetValue(bandwidth)),
                    Until = ParseStep(parse.GetValue(until)!),
                    Coadd = new CoaddConfig { Statistic = CoaddCommand.ParseStatistic(parse.GetValue(statistic)) },
                    Isr = parse.GetValue(isrConfig) is { } file ? IsrCommand.ReadConfig(file) : new IsrConfig(),
                    Characterize = parse.GetValue(characterizeConfig) is { } cfile ? CharacterizeCommand.ReadConfig(cfile) : new CharacterizeConfig(),
                };
                Validate(config);
                if (parse.GetValue(planDir) is { } plan)
                {
                    code = RunCluster(plan.FullName, parse.GetValue(cluster) ?? throw new ArgumentException("--plan needs --cluster STEP:INDEX or a cluster file"),
                                      parse.GetValue(data)!.FullName, parse.GetValue(output)!.FullName, config);
                    return;
                }
                if (parse.GetValue(cluster) is not null) throw new ArgumentException("--cluster needs --plan PLANDIR");
                code = WithProgress(cancel => Pipeline.Run(parse.GetValue(data)!.FullName, parse.GetValue(output)!.FullName, config, Progress(), cancel),
                                    Summarize);
            });
            return fatal != 0 ? fatal : code;
        });
        return command;
    }

    /// <summary>Runs one cluster of the plan in <paramref name="planDir"/>: <paramref name="clusterSpec"/> is STEP:INDEX or a
    /// cluster file. The plan's data and output must be <paramref name="dataDir"/> and <paramref name="outDir"/>.</summary>
    private static int RunCluster(string planDir, string clusterSpec, string dataDir, string outDir, PipelineConfig config)
    {
        QuantumCluster cluster;
        int colon = clusterSpec.LastIndexOf(':');
        if (colon > 0 && int.TryParse(clusterSpec[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            cluster = PlanDirectory.ReadCluster(planDir, clusterSpec[..colon], index);
        else if (File.Exists(clusterSpec))
            cluster = PlanDirectory.ReadCluster(clusterSpec);
        else
            throw new ArgumentException($"--cluster '{clusterSpec}' is neither STEP:INDEX nor a cluster file");
        // The cluster's part of the graph, not the whole graph (hundreds of MB for a night).
        var graph = PlanDirectory.ReadClusterGraph(planDir, cluster.Step, cluster.Index);
        if (Path.GetFullPath(graph.Data) != Path.GetFullPath(dataDir) || Path.GetFullPath(graph.Output) != Path.GetFullPath(outDir))
            throw new ArgumentException($"the plan in {planDir} reads {graph.Data} and writes {graph.Output}, not --data {dataDir} and --out {outDir}");
        return WithProgress(cancel => ClusterRunner.Run(graph, cluster, config, Progress(), cancel), result =>
        {
            Console.WriteLine($"cluster {result.Cluster.Id} ({result.Cluster.Key}): {result.Cluster.Quanta.Count} quanta, {result.AlreadyDone.Count} already done");
            if (result.Report is null)
            {
                Console.WriteLine("nothing to do");
                return 0;
            }
            int exit = Summarize(result.Report, new DataRepository(graph.Output).ClusterReport(result.Cluster.Step, result.Cluster.Index));
            return exit;
        });
    }

    /// <summary>The settings the options of <c>run</c> and <c>demo</c> set directly, by the path the library's messages name them by.</summary>
    private static readonly Dictionary<string, string> OptionOf = new(StringComparer.Ordinal)
    {
        ["PipelineConfig.Threads"] = "--threads",
        ["PipelineConfig.Until"] = "--until",
    };

    /// <summary><see cref="PipelineConfig.Validate"/>, with a setting an option gives named by that option (<c>--threads must
    /// be &gt;= 1 (is 0)</c>, not <c>PipelineConfig.Threads ...</c>).</summary>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    public static void Validate(PipelineConfig config)
    {
        try
        {
            config.Validate();
        }
        catch (ConfigException e) when (OptionOf.TryGetValue(e.Setting, out string? option) && e.Message.StartsWith(e.Setting, StringComparison.Ordinal))
        {
            throw new ArgumentException(option + e.Message[e.Setting.Length..], e);
        }
    }

    private static ThrottledStoreConfig Throttle(double latencyMs, double megabytesPerSecond)
    {
        if (!(latencyMs >= 0) || double.IsInfinity(latencyMs)) throw new ArgumentException($"--calib-latency must be a finite number of milliseconds >= 0 (is {latencyMs})");
        if (!(megabytesPerSecond >= 0) || double.IsInfinity(megabytesPerSecond)) throw new ArgumentException($"--calib-bandwidth must be a finite number of MB/s >= 0 (is {megabytesPerSecond}; 0 means unlimited)");
        return new ThrottledStoreConfig
        {
            Latency = TimeSpan.FromMilliseconds(latencyMs),
            BandwidthBytesPerSecond = megabytesPerSecond == 0 ? double.PositiveInfinity : megabytesPerSecond * 1e6,
        };
    }

    public static PipelineStep ParseStep(string text) => text.Trim().ToLowerInvariant() switch
    {
        "isr" => PipelineStep.Isr,
        "characterize" => PipelineStep.Characterize,
        "warp" => PipelineStep.Warp,
        "psfmatch" => PipelineStep.PsfMatch,
        "coadd" => PipelineStep.Coadd,
        _ => throw new ArgumentException($"--until '{text}' is not one of: isr, characterize, warp, psfmatch, coadd"),
    };

    /// <summary>Runs <paramref name="body"/> with Ctrl-C (SIGINT) and SIGTERM wired to its cancellation token and the
    /// pipeline's progress shown as live bars on a terminal, or as plain lines when the output is redirected; returns the
    /// exit code.</summary>
    public static int WithProgress<T>(Func<CancellationToken, T> body, Func<T, int> finish)
    {
        using var cts = new CancellationTokenSource();
        var exitCode = Cancelled;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // Without this the runtime's default SIGTERM handling ends the process at once, mid-write, leaving temporary files.
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            exitCode = Terminated;
            cts.Cancel();
        });
        try
        {
            T result;
            if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            {
                result = AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var bars = new Dictionary<string, ProgressTask>();
                        _sink = p =>
                        {
                            lock (bars)
                            {
                                if (!bars.TryGetValue(p.Step, out var bar)) bars[p.Step] = bar = ctx.AddTask(p.Step, maxValue: Math.Max(1, p.Total));
                                bar.Value = p.Done;
                                if (p.Total == 0) bar.Value = bar.MaxValue;
                                if (p.Done >= p.Total) bar.StopTask();
                                if (p.Failed) AnsiConsole.MarkupLineInterpolated($"[red]failed[/] {p.Step} {p.Message}");
                            }
                        };
                        return body(cts.Token);
                    });
            }
            else
            {
                _sink = p =>
                {
                    if (p.Done == 0) Console.WriteLine($"{p.Step}: {p.Total} quanta");
                    else if (p.Failed) Console.Error.WriteLine($"imagecore: {p.Step} {p.Done}/{p.Total} failed: {p.Message}");
                    else Console.WriteLine($"{p.Step} {p.Done}/{p.Total} {p.Message}");
                };
                result = body(cts.Token);
            }
            return finish(result);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"imagecore: {(exitCode == Terminated ? "terminated (SIGTERM)" : "cancelled")}; finished outputs are kept, none is half-written");
            return exitCode;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            _sink = null;
        }
    }

    private static Action<PipelineProgress>? _sink;

    /// <summary>The progress sink of the current run (forwards to the bars or lines).</summary>
    public static IProgress<PipelineProgress> Progress() => new SyncProgress(p => _sink?.Invoke(p));

    /// <summary>Prints the steps and failures; exit code 0, or <see cref="SomeQuantaFailed"/>.</summary>
    public static int Summarize(PipelineReport report) => Summarize(report, new DataRepository(report.Output).ReportPath);

    /// <summary>Prints the steps and failures and the report's path; exit code 0, or <see cref="SomeQuantaFailed"/>.</summary>
    public static int Summarize(PipelineReport report, string reportPath)
    {
        foreach (var s in report.Steps)
            Console.WriteLine($"{s.Name}: {s.Succeeded}/{s.Quanta} succeeded, {s.Failed} failed, {s.Skipped} skipped, {s.Empty} empty, {s.WallSeconds:F1} s wall, {s.CpuSeconds:F1} s CPU");
        foreach (var f in report.Failures)
            Console.Error.WriteLine($"imagecore: {f.Step} {f.Quantum} {(f.Skipped ? "skipped" : "failed")}: {f.Message}");
        var c = report.Calibrations;
        Console.WriteLine($"calibrations ({c.Cache}): {c.Hits} hits, {c.Misses} misses, {c.Evictions} evictions, {c.StoreReads} files / {c.StoreBytesRead / 1e6:F1} MB read from the store");
        var x = report.Execution;
        Console.WriteLine($"workers ({x.Placement}): " + string.Join(", ", x.Workers.Select(w =>
            $"#{w.Index}{(w.Pinned ? $" on CPU {w.PlannedCpu}" : "")} {w.Quanta} quanta, CPU/wall {(w.CpuOverWall is double u ? u.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "?")}")));
        if (x.PinningWarning is not null) Console.Error.WriteLine($"imagecore: {x.PinningWarning}");
        Console.WriteLine($"report: {reportPath}");
        return report.Failures.Count > 0 ? SomeQuantaFailed : 0;
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<PipelineProgress> report) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => report(value);
    }
}
