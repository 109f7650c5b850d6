using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Coadd;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Warp;

namespace ImageCore.Execution;

/// <summary>
/// <c>imagecore run</c>: raw detector files in, a coadd per patch out. The data directory holds
/// <c>raw/VVVVVV/DET.fits</c> and <c>calib/</c> (as <c>imagecore simulate</c> writes them). Three steps, each a set of
/// quanta taken in <see cref="PipelineConfig.Order"/> and run concurrently on <see cref="PipelineConfig.Threads"/> threads:
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
    /// <summary>Runs the pipeline on <paramref name="dataDir"/>, writing under <paramref name="outDir"/>.</summary>
    /// <exception cref="ArgumentException">No raws, no calibration directory, raws of different scales, or a bad configuration.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; outputs finished so far stay, none is half-written.</exception>
    public static PipelineReport Run(string dataDir, string outDir, PipelineConfig config, IProgress<PipelineProgress>? progress = null,
                                     CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        string rawRoot = Path.Combine(dataDir, "raw"), calibRoot = Path.Combine(dataDir, "calib");
        if (!Directory.Exists(rawRoot)) throw new ArgumentException($"{dataDir}: no raw/ directory (raw/VISIT/DETECTOR.fits)");
        if (!Directory.Exists(calibRoot)) throw new ArgumentException($"{dataDir}: no calib/ directory");
        var rawPaths = Directory.GetDirectories(rawRoot).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.fits").OrderBy(f => f, StringComparer.Ordinal)).ToList();
        if (rawPaths.Count == 0) throw new ArgumentException($"{rawRoot}: no raw files (raw/VISIT/DETECTOR.fits)");
        Directory.CreateDirectory(outDir);

        // Workers: dedicated threads placed on the machine's CPUs by the placement policy (pinned unless it is none).
        var topology = CpuTopology.Discover(config.SysfsRoot);
        var plan = config.Placement.Kind == PlacementKind.None ? PlacementPlan.Unpinned(config.Threads) : Placement.Plan(topology, config.Placement, config.Threads);
        using var pool = new PinnedWorkerPool(plan);
        var workers = new WorkerTotals[pool.Count];

        var started = DateTime.UtcNow;
        var runClock = Stopwatch.StartNew();
        var runCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var failures = new ConcurrentBag<PipelineFailure>();
        var steps = new List<PipelineStepReport>();
        var camera = CameraModel.LsstCam;

        // Plan from the raws' headers: each raw's visit, detector, scale and footprint.
        var raws = new RawPlan?[rawPaths.Count];
        for (int i = 0; i < rawPaths.Count; i++)
        {
            try { raws[i] = RawPlan.Read(rawPaths[i], camera); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(new PipelineFailure("isr", Path.GetFileName(Path.GetDirectoryName(rawPaths[i])) + " " + Path.GetFileName(rawPaths[i]), [rawPaths[i]],
                                                 "cannot plan: " + e.Message, Skipped: false));
            }
        }
        var planned = raws.Where(r => r is not null).Select(r => r!).ToList();
        var scales = planned.Select(r => r.Scale).Distinct().ToList();
        if (scales.Count > 1) throw new ArgumentException($"{rawRoot}: raws of different scales ({string.Join(", ", scales)}) cannot share one sky map");
        int scale = scales.Count == 1 ? scales[0] : 1;
        var skyMap = new RingsSkyMap(SkyMapFor(camera, scale));
        int border = config.WarpBorder / scale;
        var unplannedVisits = rawPaths.Select((p, i) => (p, i)).Where(t => raws[t.i] is null)
            .Select(t => int.TryParse(Path.GetFileName(Path.GetDirectoryName(t.p)), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1).ToHashSet();

        // Warp quanta: (tract, patch, visit) -> the visit's detectors whose warped box touches the grown patch.
        var warpPlan = new SortedDictionary<(int Tract, int Patch, int Visit), List<RawPlan>>();
        var patchInfo = new Dictionary<(int Tract, int Patch), (TractInfo Tract, PatchInfo Patch)>();
        foreach (var raw in planned)
        {
            var points = raw.FootprintOnSky();
            var tracts = points.SelectMany(p => skyMap.FindAllTracts(p.Ra, p.Dec)).DistinctBy(t => t.Id);
            foreach (var tract in tracts)
                foreach (var patch in tract.FindPatches(points))
                {
                    var target = DirectWarp.Target(tract, patch, border);
                    if (Warper.WarpedBBox(new Box2I(0, 0, raw.Width, raw.Height), raw.Wcs, target.Wcs).Intersect(new Box2I(0, 0, target.Width, target.Height)).IsEmpty)
                        continue;
                    int seq = patch.Sequential(tract);
                    patchInfo[(tract.Id, seq)] = (tract, patch);
                    if (!warpPlan.TryGetValue((tract.Id, seq, raw.Visit), out var list)) warpPlan[(tract.Id, seq, raw.Visit)] = list = [];
                    list.Add(raw);
                }
        }

        // isr, through the calibration cache in front of the (possibly throttled) calibration directory; a throttled
        // read's wait ends early on cancellation (the quantum then stops at its next check, after that calibration)
        var directory = new CalibrationDirectory(calibRoot);
        ICalibrationSource store = config.CalibrationStore.Latency > TimeSpan.Zero || !double.IsPositiveInfinity(config.CalibrationStore.BandwidthBytesPerSecond)
            ? new ThrottledCalibrationStore(directory, config.CalibrationStore, sleep: wait => cancel.WaitHandle.WaitOne(wait)) : directory;
        using var cache = CalibrationCache.Create(config.Cache, store);
        using var tracked = PipelineMetrics.Track(cache, directory);
        var postIsr = new ConcurrentDictionary<RawPlan, string>();
        var failedRaws = new ConcurrentDictionary<RawPlan, string>();
        RunStep("isr", config.Order.Apply(planned, r => r.Visit, r => r.DetectorId), pool, workers, cancel, progress, failures, steps, raw =>
        {
            string output = Path.Combine(outDir, "postisr", $"{raw.Visit:000000}", raw.Detector + ".fits");
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(output)!);
                using var file = FitsFile.Open(raw.Path);
                using var exposure = IsrTask.Run(file, camera, cache, config.Isr, 1, cancel);
                ExposureFits.Write(output, exposure, cancel);
                postIsr[raw] = output;
                return Quantum.Done(QuantumName(raw), [raw.Path]);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failedRaws[raw] = e.Message;
                return Quantum.Failure(QuantumName(raw), [raw.Path], e.Message);
            }
        }, extraFailures: raws.Count(r => r is null));

        var counters = cache.Counters;
        var calibrations = new CalibrationReport(config.Cache.ToString(), StoreDescription(directory, config.CalibrationStore), counters.Hits, counters.Misses,
            counters.Evictions, counters.BytesHeld, counters.EntriesHeld, counters.BytesReadFromStore, directory.Reads, directory.BytesRead);
        cache.Dispose();   // the calibrations are not needed after ISR

        // warp
        var warps = new ConcurrentDictionary<(int Tract, int Patch, int Visit), string>();
        var emptyWarps = new ConcurrentDictionary<(int Tract, int Patch, int Visit), bool>();
        if (config.Until >= PipelineStep.Warp)
        RunStep("warp", config.Order.Apply(warpPlan, q => q.Key.Visit, q => (q.Key.Tract, q.Key.Patch)), pool, workers, cancel, progress, failures, steps, quantum =>
        {
            var ((tractId, seq, visit), detectors) = (quantum.Key, quantum.Value);
            string name = $"tract {tractId} patch {seq} visit {visit}";
            var inputs = detectors.OrderBy(d => d.DetectorId).Select(d => d.Path).ToList();
            var blocked = detectors.Where(failedRaws.ContainsKey).Select(d => $"{QuantumName(d)} failed ISR").ToList();
            if (unplannedVisits.Contains(visit)) blocked.Add($"a raw of visit {visit} could not be read, so its footprint is unknown");
            if (blocked.Count > 0) return new Quantum(name, inputs, Outcome.Skipped, "not run: " + string.Join("; ", blocked));
            var (tract, patch) = patchInfo[(tractId, seq)];
            string output = Path.Combine(outDir, "warp", $"{tractId:00000}", $"{seq:000}", $"{visit:000000}.fits");
            var exposures = detectors.OrderBy(d => d.DetectorId).Select(d => postIsr[d]).ToList();
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(output)!);
                var outer = new Box2I(border, border, patch.Outer.Width, patch.Outer.Height);
                var result = DirectWarp.Run(visit, tractId, seq, exposures, DirectWarp.Target(tract, patch, border), config.Warp, output, 1, outer, cancel);
                if (result.GoodPixels == 0)
                {
                    emptyWarps[quantum.Key] = true;
                    return new Quantum(name, exposures, Outcome.Empty, "no good pixel in the patch");
                }
                warps[quantum.Key] = output;
                return Quantum.Done(name, exposures);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Quantum.Failure(name, exposures, e.Message);
            }
        });

        // coadd
        var patches = warpPlan.Keys.Select(k => (k.Tract, k.Patch)).Distinct().ToList();
        var coadds = new ConcurrentBag<string>();
        int inner = Math.Max(1, config.Threads / Math.Max(1, Math.Min(config.Threads, patches.Count)));
        if (config.Until >= PipelineStep.Coadd)
        RunStep("coadd", patches, pool, workers, cancel, progress, failures, steps, key =>
        {
            string name = $"tract {key.Tract} patch {key.Patch}";
            var inputs = warps.Where(w => w.Key.Tract == key.Tract && w.Key.Patch == key.Patch).OrderBy(w => w.Key.Visit).Select(w => w.Value).ToList();
            if (inputs.Count == 0)
            {
                bool allEmpty = warpPlan.Keys.Where(k => k.Tract == key.Tract && k.Patch == key.Patch).All(emptyWarps.ContainsKey);
                return allEmpty ? new Quantum(name, [], Outcome.Empty, "no warp has a good pixel in the patch")
                                : new Quantum(name, [], Outcome.Skipped, "not run: none of its warps was made");
            }
            var (tract, patch) = patchInfo[key];
            string output = Path.Combine(outDir, "coadd", $"{key.Tract:00000}", $"{key.Patch:000}.fits");
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(output)!);
                var outer = new Box2I(border, border, patch.Outer.Width, patch.Outer.Height);
                CoaddTask.Run(inputs, output, config.Coadd, inner, outer, cancel);
                coadds.Add(output);
                return Quantum.Done(name, inputs);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Quantum.Failure(name, inputs, e.Message);
            }
        });

        string Rel(string p) => Path.GetRelativePath(outDir, p);
        var cfg = skyMap.Config;
        var report = new PipelineReport(Path.GetFullPath(dataDir), Path.GetFullPath(outDir), config.Threads, started.ToString("o", CultureInfo.InvariantCulture),
            runClock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - runCpu).TotalSeconds,
            string.Create(CultureInfo.InvariantCulture, $"lsst_cells_v1 scaled by {scale}: {cfg.PixelScaleArcsec}\"/pixel, patches {cfg.PatchInner} + {cfg.PatchBorder} border, direct warps grown by {border}"),
            steps, failures.OrderBy(f => f.Step switch { "isr" => 0, "warp" => 1, _ => 2 }).ThenBy(f => f.Quantum, StringComparer.Ordinal).ToList(),
            postIsr.Values.Select(Rel).Order(StringComparer.Ordinal).ToList(), warps.Values.Select(Rel).Order(StringComparer.Ordinal).ToList(),
            coadds.Select(Rel).Order(StringComparer.Ordinal).ToList(), config.Order.ToString(), calibrations,
            new ExecutionReport(TopologyReport.Of(topology), plan.ToString(), pool.PinningWarning,
                                pool.Workers.Select(w => workers[w.Index].Report(w, runClock.Elapsed.TotalSeconds)).ToList()));
        string reportPath = Path.Combine(outDir, "report.json");
        string temp = Path.Combine(outDir, $".report.json.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, report.ToJson());
        File.Move(temp, reportPath, overwrite: true);
        return report;
    }

    /// <summary>lsst_cells_v1 for data <paramref name="scale"/> times coarser than LSSTCam: the pixel scale multiplied and
    /// the patch inner and border divided by it (3000 and 200 are divisible by 1, 2, 4 and 8).</summary>
    public static SkyMapConfig SkyMapFor(CameraModel camera, int scale)
    {
        ArgumentNullException.ThrowIfNull(camera);
        return new SkyMapConfig().ForScale(scale);
    }

    private static string StoreDescription(CalibrationDirectory directory, ThrottledStoreConfig throttle)
    {
        string text = Path.GetFullPath(directory.Root);
        if (throttle.Latency > TimeSpan.Zero) text += string.Create(CultureInfo.InvariantCulture, $", latency {throttle.Latency.TotalMilliseconds} ms per read");
        if (!double.IsPositiveInfinity(throttle.BandwidthBytesPerSecond))
            text += string.Create(CultureInfo.InvariantCulture, $", bandwidth {throttle.BandwidthBytesPerSecond / 1e6} MB/s shared");
        return text;
    }

    private enum Outcome { Succeeded, Failed, Skipped, Empty }

    /// <summary>How a quantum ended: its name, inputs, outcome and message (the error, or why it was skipped or empty).</summary>
    private sealed record Quantum(string Name, IReadOnlyList<string> Inputs, Outcome Outcome, string Message)
    {
        public static Quantum Done(string name, IReadOnlyList<string> inputs) => new(name, inputs, Outcome.Succeeded, "");

        public static Quantum Failure(string name, IReadOnlyList<string> inputs, string error) => new(name, inputs, Outcome.Failed, error);
    }

    private static string QuantumName(RawPlan raw) => $"visit {raw.Visit} detector {raw.Detector}";

    /// <summary>Runs <paramref name="quanta"/> in order on the pool's workers, timing the step, recording failed and
    /// skipped quanta and adding each worker's quanta, busy time and CPU time to <paramref name="workers"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled: no new quantum was started
    /// after it, the running ones finished.</exception>
    private static void RunStep<T>(string step, IReadOnlyList<T> quanta, PinnedWorkerPool pool, WorkerTotals[] workers, CancellationToken cancel,
        IProgress<PipelineProgress>? progress, ConcurrentBag<PipelineFailure> failures, List<PipelineStepReport> steps, Func<T, Quantum> body, int extraFailures = 0)
    {
        cancel.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        int done = 0;
        var counts = new int[4];
        counts[(int)Outcome.Failed] = extraFailures;
        progress?.Report(new PipelineProgress(step, 0, quanta.Count, "", false));
        for (int k = 0; k < extraFailures; k++) PipelineMetrics.QuantumFinished(step, "failed", null);
        var run = pool.Run(quanta, (item, context) =>
        {
            long t0 = Stopwatch.GetTimestamp();
            var cpu0 = ThreadCpuTime.Current();
            Quantum q;
            try
            {
                q = body(item);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                q = Quantum.Failure($"{step} quantum {item}", [], e.Message);   // a fault outside a quantum's own error handling
            }
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            PipelineMetrics.QuantumFinished(step, q.Outcome.ToString().ToLowerInvariant(), seconds);
            if (ThreadCpuTime.Current() - cpu0 is TimeSpan used) PipelineMetrics.WorkerTime(context.Index, seconds, used.TotalSeconds);
            Interlocked.Increment(ref counts[(int)q.Outcome]);
            if (q.Outcome is Outcome.Failed or Outcome.Skipped) failures.Add(new PipelineFailure(step, q.Name, q.Inputs, q.Message, q.Outcome == Outcome.Skipped));
            int n = Interlocked.Increment(ref done);
            progress?.Report(new PipelineProgress(step, n, quanta.Count, q.Message.Length == 0 ? q.Name : $"{q.Name}: {q.Message}", q.Outcome == Outcome.Failed));
        }, cancel);
        foreach (var w in run.Workers) if (w is not null) workers[w.Index].Add(w);
        cancel.ThrowIfCancellationRequested();
        if (run.Failures.Count > 0) throw new AggregateException($"{step}: quanta were interrupted", run.Failures.Select(f => f.Exception));
        steps.Add(new PipelineStepReport(step, quanta.Count + extraFailures, counts[(int)Outcome.Succeeded], counts[(int)Outcome.Failed],
                                         counts[(int)Outcome.Skipped], counts[(int)Outcome.Empty], clock.Elapsed.TotalSeconds,
                                         (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds));
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

    /// <summary>What the plan needs of a raw: its visit, detector, scale, trimmed size and WCS (from the primary header).</summary>
    private sealed record RawPlan(string Path, int Visit, string Detector, int DetectorId, int Scale, int Width, int Height, SkyWcs Wcs)
    {
        public static RawPlan Read(string path, CameraModel camera)
        {
            using var file = FitsFile.Open(path);
            var primary = file[0].Header;
            var detector = IsrTask.FindDetector(file, camera);
            int visit = (int)primary.GetInt64("VISIT");
            int scale = SkyMapConfig.ScaleOf(primary);
            var wcs = SkyWcs.FromHeader(primary);
            return new RawPlan(path, visit, detector.Name, detector.Id, scale, detector.BBox.Width, detector.BBox.Height, wcs);
        }

        /// <summary>Corners, edge midpoints and centre of the trimmed image on the sky.</summary>
        public List<(double Ra, double Dec)> FootprintOnSky()
        {
            var list = new List<(double, double)>(9);
            foreach (double fy in new[] { 0.0, 0.5, 1.0 })
                foreach (double fx in new[] { 0.0, 0.5, 1.0 })
                    list.Add(Wcs.PixelToSky(fx * (Width - 1), fy * (Height - 1)));
            return list;
        }
    }
}
