using System.Diagnostics;
using ImageCore.Astrometry;
using ImageCore.Camera;

namespace ImageCore.Execution;

/// <summary>
/// <c>imagecore run</c>: raw detector files in, a coadd per patch out. The data directory holds
/// <c>raw/VVVVVV/DET.fits</c> and <c>calib/</c> (as <c>imagecore simulate</c> writes them; <see cref="DataRepository"/>
/// has the layout). A run is planned first (<see cref="QuantumGraphPlanner"/>: every quantum, its files and its
/// dependencies, from the raws' headers), then runs its steps one after the other, each a set of quanta taken in the
/// graph's order by <see cref="PipelineConfig.Threads"/> pinned workers (<see cref="PinnedWorkerPool"/>):
/// <list type="number">
/// <item><b>isr</b>, one quantum per (visit, detector): <c>OUT/postisr/VVVVVV/DET.fits</c>.</item>
/// <item><b>warp</b>, one quantum per (tract, patch, visit): the visit's detectors whose warped footprint (from the
/// raw's WCS) touches the patch's grown outer box, as one direct warp <c>OUT/warp/TTTTT/PPP/VVVVVV.fits</c>; a warp
/// with no good pixel inside the patch's outer box is not written (counted as empty, as Rubin's NoWorkFound).</item>
/// <item><b>coadd</b>, one quantum per (tract, patch): the patch's warps, cropped to its outer box,
/// <c>OUT/coadd/TTTTT/PPP.fits</c>.</item>
/// </list>
/// The sky map is lsst_cells_v1; for a scaled simulation (SIMSCALE s in the raws) its pixel scale is multiplied
/// and its patch sizes divided by s, so the tracts and patches cover the same sky with the same ids. A quantum
/// that throws is reported and the others go on; a quantum whose input failed upstream is not run (a warp never
/// silently lacks a detector) and is reported as skipped; a patch's coadd is made from the warps that exist, and
/// its header lists them. Every output is written under a temporary name and renamed. The run ends with
/// <c>OUT/report.json</c> (<see cref="PipelineReport"/>).
/// </summary>
public static class Pipeline
{
    /// <summary>Plans and runs the pipeline on <paramref name="dataDir"/>, writing under <paramref name="outDir"/>.</summary>
    /// <exception cref="ArgumentException">No raws, no calibration directory, raws of different scales, or a bad configuration.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; outputs finished so far stay, none is half-written.</exception>
    /// <example><code>
    /// var report = Pipeline.Run("data", "out", new PipelineConfig { Threads = Environment.ProcessorCount });
    /// foreach (var failure in report.Failures) Console.Error.WriteLine($"{failure.Step} {failure.Quantum}: {failure.Message}");
    /// </code></example>
    public static PipelineReport Run(string dataDir, string outDir, PipelineConfig config, IProgress<PipelineProgress>? progress = null,
                                     CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var clock = RunClock.Start();
        var graph = QuantumGraphPlanner.Plan(new DataRepository(dataDir), new DataRepository(outDir), config);
        return Execute(graph, config, null, null, progress, cancel, clock);
    }

    /// <summary>
    /// Runs <paramref name="graph"/>, or only the quanta of it named in <paramref name="quanta"/>, writing the outputs and
    /// <c>report.json</c> into the graph's output repository. The steps run in the graph's order, each step's quanta in the
    /// graph's order; with a selection, only the steps it has quanta of run (and are reported). A quantum whose upstream
    /// quantum is not part of this run reads that quantum's outputs from disk (an earlier run made them) and is skipped when
    /// they are not there; what happened to such a quantum is known only by its outputs, so a coadd whose warps were all
    /// empty in an earlier run has nothing to read and is reported skipped, not empty. The raws that could not be planned
    /// are reported only by a run of the whole graph. The planning settings of <paramref name="config"/> (<see cref="PipelineConfig.Order"/>,
    /// <see cref="PipelineConfig.Until"/>, <see cref="PipelineConfig.WarpBorder"/>) were used when the graph was made and
    /// are not read here.
    /// </summary>
    /// <exception cref="ArgumentException">A bad configuration, a step this pipeline does not have or out of the pipeline's
    /// order, or a selected id that is not in the graph.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; outputs finished so far stay, none is half-written.</exception>
    public static PipelineReport Run(QuantumGraph graph, PipelineConfig config, IReadOnlySet<string>? quanta = null, IProgress<PipelineProgress>? progress = null,
                                     CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return Execute(graph, config, quanta, null, progress, cancel, RunClock.Start());
    }

    /// <summary>As <see cref="Run(QuantumGraph, PipelineConfig, IReadOnlySet{string}?, IProgress{PipelineProgress}?, CancellationToken)"/>,
    /// with the report written to <paramref name="reportPath"/> (its directory made) instead of the repository's
    /// <c>report.json</c>.</summary>
    internal static PipelineReport Run(QuantumGraph graph, PipelineConfig config, IReadOnlySet<string>? quanta, string reportPath,
                                       IProgress<PipelineProgress>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return Execute(graph, config, quanta, reportPath, progress, cancel, RunClock.Start());
    }

    /// <summary>lsst_cells_v1 for data <paramref name="scale"/> times coarser than LSSTCam: the pixel scale multiplied and
    /// the patch inner and border divided by it (3000 and 200 are divisible by 1, 2, 4 and 8).</summary>
    public static SkyMapConfig SkyMapFor(CameraModel camera, int scale)
    {
        ArgumentNullException.ThrowIfNull(camera);
        return new SkyMapConfig().ForScale(scale);
    }

    private static PipelineReport Execute(QuantumGraph graph, PipelineConfig config, IReadOnlySet<string>? selection, string? reportPath, IProgress<PipelineProgress>? progress,
                                          CancellationToken cancel, RunClock clock)
    {
        for (int i = 0; i < graph.Steps.Count; i++)
        {
            int index = PipelineSteps.IndexOf(graph.Steps[i]);
            if (index < 0 || (i > 0 && index <= PipelineSteps.IndexOf(graph.Steps[i - 1])))
                throw new ArgumentException($"the quantum graph's steps ({string.Join(", ", graph.Steps)}) are not steps of the pipeline in its order");
        }
        if (selection?.FirstOrDefault(id => !graph.Contains(id)) is { } unknown) throw new ArgumentException($"quantum {unknown} is not in the quantum graph");
        var output = new DataRepository(graph.Output);
        Directory.CreateDirectory(output.Root);

        // Workers: dedicated threads placed on the machine's CPUs by the placement policy (pinned unless it is none).
        var topology = CpuTopology.Discover(config.SysfsRoot);
        var plan = config.Placement.Kind == PlacementKind.None ? PlacementPlan.Unpinned(config.Threads) : Placement.Plan(topology, config.Placement, config.Threads);
        using var pool = new PinnedWorkerPool(plan);
        var workers = new WorkerTotals[pool.Count];

        var state = new QuantumRunState(graph, selection);
        var report = new PipelineReportBuilder(graph, config);
        var setup = new StepSetup(graph, config, state, cancel);
        var runners = new List<IStepRunner>();
        try
        {
            // A selection runs only the steps it has quanta of; the whole graph runs every step, empty ones too.
            var steps = graph.Steps.Where(step => state.Whole || state.QuantaOf(step).Count > 0).ToList();
            foreach (string step in steps) runners.Add(PipelineSteps.CreateRunner(step, setup));
            for (int i = 0; i < runners.Count; i++)
            {
                string step = steps[i];
                var runner = runners[i];
                var unplanned = state.Whole ? graph.Unplanned.Where(u => u.Step == step).ToList() : [];
                foreach (var u in unplanned) report.AddFailure(new PipelineFailure(step, u.Name, [u.Path], u.Message, Skipped: false));
                RunStep(step, state.QuantaOf(step), runner, state, pool, workers, cancel, progress, report, unplanned.Count);
                runner.Finish(report);
            }
        }
        finally
        {
            foreach (var runner in runners) runner.Dispose();
        }

        double wall = clock.WallSeconds;
        var result = report.Build(state, clock.Started, wall, clock.CpuSeconds,
            new ExecutionReport(TopologyReport.Of(topology), plan.ToString(), pool.PinningWarning,
                                pool.Workers.Select(w => workers[w.Index].Report(w, wall)).ToList()));
        string finalPath = reportPath ?? output.ReportPath;
        string reportDir = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
        Directory.CreateDirectory(reportDir);
        string temp = Path.Combine(reportDir, $".{Path.GetFileName(finalPath)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, result.ToJson());
        File.Move(temp, finalPath, overwrite: true);
        return result;
    }

    /// <summary>Runs <paramref name="quanta"/> in order on the pool's workers, timing the step, recording each outcome,
    /// reporting failed and skipped quanta and adding each worker's quanta, busy time and CPU time to
    /// <paramref name="workers"/>. <paramref name="unplanned"/> quanta of the step failed before the run (they count in
    /// the step's quanta and failures, not in its progress).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled: no new quantum was started
    /// after it, the running ones finished.</exception>
    private static void RunStep(string step, IReadOnlyList<Quantum> quanta, IStepRunner runner, QuantumRunState state, PinnedWorkerPool pool,
        WorkerTotals[] workers, CancellationToken cancel, IProgress<PipelineProgress>? progress, PipelineReportBuilder report, int unplanned)
    {
        cancel.ThrowIfCancellationRequested();
        var clock = RunClock.Start();
        int done = 0;
        var counts = new int[4];
        counts[(int)QuantumOutcome.Failed] = unplanned;
        progress?.Report(new PipelineProgress(step, 0, quanta.Count, "", false));
        for (int k = 0; k < unplanned; k++) PipelineMetrics.QuantumFinished(step, "failed", null);
        var run = pool.Run(quanta, (quantum, context) =>
        {
            long t0 = Stopwatch.GetTimestamp();
            var cpu0 = ThreadCpuTime.Current();
            QuantumResult q;
            try
            {
                q = runner.Run(quantum);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                q = QuantumResult.Failure([], e.Message);   // a fault outside a quantum's own error handling
            }
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            state.Record(quantum, q.Outcome);
            PipelineMetrics.QuantumFinished(step, q.Outcome.ToString().ToLowerInvariant(), seconds);
            if (ThreadCpuTime.Current() - cpu0 is TimeSpan used) PipelineMetrics.WorkerTime(context.Index, seconds, used.TotalSeconds);
            Interlocked.Increment(ref counts[(int)q.Outcome]);
            string name = quantum.DataId.ToString();
            if (q.Outcome is QuantumOutcome.Failed or QuantumOutcome.Skipped)
                report.AddFailure(new PipelineFailure(step, name, q.Inputs, q.Message, q.Outcome == QuantumOutcome.Skipped));
            int n = Interlocked.Increment(ref done);
            progress?.Report(new PipelineProgress(step, n, quanta.Count, q.Message.Length == 0 ? name : $"{name}: {q.Message}", q.Outcome == QuantumOutcome.Failed));
        }, cancel);
        foreach (var w in run.Workers) if (w is not null) workers[w.Index].Add(w);
        cancel.ThrowIfCancellationRequested();
        if (run.Failures.Count > 0) throw new AggregateException($"{step}: quanta were interrupted", run.Failures.Select(f => f.Exception));
        report.AddStep(new PipelineStepReport(step, quanta.Count + unplanned, counts[(int)QuantumOutcome.Succeeded], counts[(int)QuantumOutcome.Failed],
                                              counts[(int)QuantumOutcome.Skipped], counts[(int)QuantumOutcome.Empty], clock.WallSeconds, clock.CpuSeconds));
    }

    /// <summary>When something started, and the wall and process CPU time since.</summary>
    private sealed class RunClock
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

        public DateTime Started { get; } = DateTime.UtcNow;

        public double WallSeconds => _wall.Elapsed.TotalSeconds;

        public double CpuSeconds => (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds;

        public static RunClock Start() => new();
    }

    /// <summary>One worker's totals over the steps of a run.</summary>
    private struct WorkerTotals
    {
        private int _quanta;
        private TimeSpan _busy, _cpu;
        private bool _cpuUnknown;

        public void Add(WorkerRunStats stats)
        {
            _quanta += stats.Items;
            _busy += stats.BusyTime;
            if (stats.CpuTime is TimeSpan c) _cpu += c;
            else _cpuUnknown = true;
        }

        public readonly WorkerReport Report(WorkerInfo info, double runWallSeconds)
        {
            double? cpu = _cpuUnknown ? null : _cpu.TotalSeconds;
            return new WorkerReport(info.Index, info.PlannedCpu, info.NumaNode, info.Pinned, info.AffinityMask?.ToString(), info.PinError, _quanta,
                                    _busy.TotalSeconds, cpu, cpu / Math.Max(runWallSeconds, 1e-9), _busy > TimeSpan.Zero ? cpu / _busy.TotalSeconds : null);
        }
    }
}
