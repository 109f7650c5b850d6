using System.Diagnostics;
using ImageCore.Camera;
using ImageCore.Isr;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// An event-driven simulation of a night's ISR (and optionally a visit-level step) over a batch cluster
/// (<see cref="CampaignConfig"/>). What decides the store's load is the engine's own code: quanta are ordered by
/// <see cref="QuantumOrder.Apply{T, TCluster}"/> (as <c>imagecore run</c> orders them), and every calibration request goes through a
/// real <see cref="CalibrationCache"/> per node, whose misses are the store's reads. Time is simulated: a miss reads the
/// dataset (<see cref="CampaignConfig.ReadBytesPerSecond"/>), then waits as <see cref="ThrottledCalibrationStore"/>
/// makes a reader wait (the latency plus the time until the one shared link has carried its bytes); a request for a dataset
/// whose read is under way waits for that read (single flight); then the quantum computes for
/// <see cref="CampaignConfig.IsrCpuSeconds"/>. Jobs (<see cref="CampaignClustering"/>) go, in order, to the lowest free
/// (node, core) as cores come free; a step ends before the next starts.
/// <para>One difference from a real run: the real cache adds an entry when its read finishes, the simulation when it
/// starts, so with concurrent readers on a node a FIFO or LRU cache may evict in a slightly different order; with one
/// core per node, or a cache that never evicts, the counts are the same.</para>
/// </summary>
public static class CampaignSimulator
{
    /// <summary>Simulates the campaign.</summary>
    /// <param name="config">The campaign.</param>
    /// <param name="catalog">Stored sizes of the calibrations.</param>
    /// <param name="camera">The camera whose first <see cref="CampaignConfig.Detectors"/> detectors (by id) are used; LSSTCam when null.</param>
    /// <param name="cancel">Checked between the campaign's steps.</param>
    /// <exception cref="ArgumentException">An invalid configuration, or more detectors than the camera has.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static CampaignResult Run(CampaignConfig config, CalibrationCatalog catalog, CameraModel? camera = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(catalog);
        config.Validate();
        camera ??= CameraModel.LsstCam;
        if (config.DetectorNames is null && config.Detectors > camera.Detectors.Count)
            throw new ArgumentException($"CampaignConfig.Detectors {config.Detectors} is more than the camera's {camera.Detectors.Count} detectors");
        var clock = Stopwatch.StartNew();
        var detectors = config.DetectorNames is { } names
            ? names.Select(n => camera.Detectors.FirstOrDefault(d => d.Name == n) ?? throw new ArgumentException($"CampaignConfig.DetectorNames: no detector {n} in the camera")).OrderBy(d => d.Id).ToArray()
            : camera.Detectors.OrderBy(d => d.Id).Take(config.Detectors).ToArray();
        var clustering = Resolve(config.Clustering, config.Order);

        var quanta = new List<SimQuantum>(config.Visits * config.Detectors);
        for (int v = 0; v < config.Visits; v++)
            for (int d = 0; d < detectors.Length; d++) quanta.Add(new SimQuantum(v, d, config.IsrCpuSeconds));
        var ordered = config.Order.Apply(quanta, q => q.Visit, q => detectors[q.Detector].Id);
        var groups = config.Order.VisitGroups(Enumerable.Range(0, config.Visits));
        var isrJobs = Jobs(ordered, clustering, config.Order, groups);

        using var engine = new Engine(config, catalog, detectors);
        cancel.ThrowIfCancellationRequested();
        var steps = new List<CampaignStepResult> { engine.RunStep("isr", isrJobs, 0, IsrCalibrationRequests.Default) };
        if (config.VisitStep is { } vs)
        {
            var visitJobs = new List<SimQuantum[]>();
            for (int v = 0; v < config.Visits; v++)
            {
                if (!vs.PerDetector) visitJobs.Add([new SimQuantum(v, -1, vs.CpuSecondsPerVisit)]);
                else for (int d = 0; d < detectors.Length; d++) visitJobs.Add([new SimQuantum(v, d, vs.CpuSecondsPerVisit / detectors.Length)]);
            }
            cancel.ThrowIfCancellationRequested();
            steps.Add(engine.RunStep(vs.Name + (vs.PerDetector ? " (per detector)" : ""), visitJobs, steps[^1].StartSeconds + steps[^1].MakespanSeconds, []));
        }
        var (hits, misses, evictions) = engine.CacheTotals();
        double end = steps[^1].StartSeconds + steps[^1].MakespanSeconds;
        return new CampaignResult(config.Cache.ToString(), config.Order.ToString(), clustering.ToString().ToLowerInvariant(), config.Nodes, config.CoresPerNode,
                                  config.Visits, detectors.Length, engine.StoreReads, engine.StoreBytes, hits, misses, evictions, end, steps,
                                  catalog.Source, clock.Elapsed.TotalSeconds);
    }

    /// <summary><see cref="CampaignClustering.Auto"/> resolved: single quanta under visit order, clusters otherwise.</summary>
    public static CampaignClustering Resolve(CampaignClustering clustering, QuantumOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        return clustering != CampaignClustering.Auto ? clustering
            : order.Kind == QuantumOrderKind.Visit ? CampaignClustering.Quanta : CampaignClustering.Clusters;
    }

    /// <summary>Cuts the ordered quanta into jobs: one each, or runs of consecutive quanta sharing a cluster key
    /// ((visit group, detector) under detector and group orders; the visit under visit order).</summary>
    private static List<SimQuantum[]> Jobs(IReadOnlyList<SimQuantum> ordered, CampaignClustering clustering, QuantumOrder order, IReadOnlyDictionary<int, int> groups)
    {
        var jobs = new List<SimQuantum[]>();
        if (clustering == CampaignClustering.Quanta)
        {
            foreach (var q in ordered) jobs.Add([q]);
            return jobs;
        }
        (int, int) Key(SimQuantum q) => order.Kind == QuantumOrderKind.Visit ? (q.Visit, -1) : (groups[q.Visit], q.Detector);
        var current = new List<SimQuantum>();
        foreach (var q in ordered)
        {
            if (current.Count > 0 && Key(current[0]) != Key(q))
            {
                jobs.Add([.. current]);
                current.Clear();
            }
            current.Add(q);
        }
        if (current.Count > 0) jobs.Add([.. current]);
        return jobs;
    }

    /// <summary>One quantum: its visit, detector index (-1 for a whole-visit quantum) and CPU seconds.</summary>
    private readonly record struct SimQuantum(int Visit, int Detector, double CpuSeconds);

    /// <summary>A job running on one core.</summary>
    private sealed class Runner(SimQuantum[] job, int node, int core, double start)
    {
        public SimQuantum[] Job { get; } = job;
        public int Node { get; } = node;
        public int Core { get; } = core;
        public double Start { get; } = start;
        public int Quantum;
        public int Request;
        public double WaitStart;
    }

    private readonly record struct Event(Runner Runner, bool Reserve, int Key, long? Bytes);

    /// <summary>The cluster's state: per-node caches over simulated stores, the shared link, and when each held dataset is ready.</summary>
    private sealed class Engine : IDisposable
    {
        private readonly CampaignConfig _config;
        private readonly Detector[] _detectors;
        private readonly SimulatedCalibrationStore[] _stores;
        private readonly CalibrationCache[] _caches;
        private readonly Dictionary<long, double> _readyAt = [];
        private readonly Dictionary<long, List<Runner>> _waiting = [];
        private double _linkBusyUntil;

        public Engine(CampaignConfig config, CalibrationCatalog catalog, Detector[] detectors)
        {
            (_config, _detectors) = (config, detectors);
            _stores = new SimulatedCalibrationStore[config.Nodes];
            _caches = new CalibrationCache[config.Nodes];
            for (int n = 0; n < config.Nodes; n++)
            {
                _stores[n] = new SimulatedCalibrationStore(catalog);
                _caches[n] = CalibrationCache.Create(config.Cache, _stores[n]);
            }
        }

        public long StoreReads { get; private set; }

        public long StoreBytes { get; private set; }

        public (long Hits, long Misses, long Evictions) CacheTotals()
        {
            long h = 0, m = 0, e = 0;
            foreach (var c in _caches)
            {
                var k = c.Counters;
                (h, m, e) = (h + k.Hits, m + k.Misses, e + k.Evictions);
            }
            return (h, m, e);
        }

        public CampaignStepResult RunStep(string name, List<SimQuantum[]> jobs, double start, IReadOnlyList<CalibrationType> requests)
        {
            var events = new PriorityQueue<Event, (double, long)>();
            long seq = 0;
            var free = new SortedSet<(int Node, int Core)>();
            for (int n = 0; n < _config.Nodes; n++)
                for (int c = 0; c < _config.CoresPerNode; c++) free.Add((n, c));
            int next = 0, running = 0, peak = 0, quanta = 0;
            double busy = 0, wait = 0, end = start;

            void StartJobs(double t)
            {
                while (next < jobs.Count && free.Count > 0)
                {
                    var slot = free.Min;
                    free.Remove(slot);
                    var r = new Runner(jobs[next++], slot.Node, slot.Core, t);
                    running++;
                    peak = Math.Max(peak, running);
                    events.Enqueue(new Event(r, false, 0, null), (t, seq++));
                }
            }

            void ContinueAt(Runner r, double t) => events.Enqueue(new Event(r, false, 0, null), (t, seq++));

            StartJobs(start);
            while (events.TryDequeue(out var e, out var when))
            {
                double t = when.Item1;
                var r = e.Runner;
                if (e.Reserve)
                {
                    double transfer = e.Bytes is long b && !double.IsPositiveInfinity(_config.Store.BandwidthBytesPerSecond) ? b / _config.Store.BandwidthBytesPerSecond : 0;
                    _linkBusyUntil = Math.Max(_linkBusyUntil, t) + transfer;
                    double ready = _linkBusyUntil + _config.Store.Latency.TotalSeconds;
                    long key = ((long)r.Node << 32) | (uint)e.Key;
                    _readyAt[key] = ready;
                    wait += ready - r.WaitStart;
                    ContinueAt(r, ready);
                    if (_waiting.Remove(key, out var waiters))
                        foreach (var w in waiters)
                        {
                            wait += ready - w.WaitStart;
                            ContinueAt(w, ready);
                        }
                    continue;
                }
                // Issue requests until one has to wait; then compute; then the next quantum or the job's end.
                bool suspended = false;
                while (!suspended)
                {
                    var q = r.Job[r.Quantum];
                    int nRequests = q.Detector < 0 ? 0 : requests.Count;
                    if (r.Request < nRequests)
                    {
                        var type = requests[r.Request++];
                        int key32 = q.Detector * 16 + (int)type;
                        long key = ((long)r.Node << 32) | (uint)key32;
                        var store = _stores[r.Node];
                        store.Reset();
                        Request(_caches[r.Node], type, _detectors[q.Detector]);
                        if (store.Read)
                        {
                            if (store.LastSize is long size)
                            {
                                StoreReads++;
                                StoreBytes += size;
                            }
                            _readyAt.Remove(key);
                            r.WaitStart = t;
                            double read = (store.LastSize ?? 0) / _config.ReadBytesPerSecond;
                            events.Enqueue(new Event(r, true, key32, store.LastSize), (t + read, seq++));
                            suspended = true;
                        }
                        else if (_readyAt.TryGetValue(key, out double ready))
                        {
                            if (ready > t)
                            {
                                wait += ready - t;
                                ContinueAt(r, ready);
                                suspended = true;
                            }
                        }
                        else
                        {
                            // a hit on a dataset whose read is still under way: wait for it
                            r.WaitStart = t;
                            if (!_waiting.TryGetValue(key, out var list)) _waiting[key] = list = [];
                            list.Add(r);
                            suspended = true;
                        }
                    }
                    else if (r.Request == nRequests)
                    {
                        r.Request++;
                        ContinueAt(r, t + q.CpuSeconds);
                        suspended = true;
                    }
                    else
                    {
                        quanta++;
                        r.Request = 0;
                        if (++r.Quantum < r.Job.Length) continue;
                        running--;
                        busy += t - r.Start;
                        end = Math.Max(end, t);
                        free.Add((r.Node, r.Core));
                        StartJobs(t);
                        suspended = true;
                    }
                }
            }
            double makespan = end - start;
            int cores = _config.Nodes * _config.CoresPerNode;
            double mean = makespan > 0 ? busy / makespan : 0;
            return new CampaignStepResult(name, quanta, jobs.Count, start, makespan, peak, mean, makespan > 0 ? 1 - mean / cores : 0, busy, wait);
        }

        private void Request(CalibrationCache cache, CalibrationType type, Detector detector)
        {
            switch (type)
            {
                case CalibrationType.Bias: cache.GetBias(detector).Dispose(); break;
                case CalibrationType.Dark: cache.GetDark(detector).Dispose(); break;
                case CalibrationType.Flat: cache.GetFlat(detector, _config.Band).Dispose(); break;
                case CalibrationType.Defects: cache.GetDefects(detector).Dispose(); break;
                case CalibrationType.Crosstalk: cache.GetCrosstalk(detector).Dispose(); break;
                case CalibrationType.Linearity: cache.GetLinearity(detector).Dispose(); break;
                default: cache.GetAmplifiers(detector).Dispose(); break;
            }
        }

        public void Dispose()
        {
            foreach (var c in _caches) c.Dispose();
            foreach (var s in _stores) s.Dispose();
        }
    }
}
