using System.Runtime.CompilerServices;
using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Warp;

namespace ImageCore.Execution;

/// <summary>
/// Plans a run from the raws' headers before any pixel is processed: each raw's visit, detector, scale and WCS give its
/// footprint; the footprint's corners, edge midpoints and centre find the tracts and patches it may touch
/// (<see cref="TractInfo.FindPatches"/>), and <see cref="Warper.WarpedBBox"/> on the grown patch grid keeps only those it
/// really reaches. The graph has, up to <see cref="PipelineConfig.Until"/>:
/// <list type="number">
/// <item><b>isr</b>, one quantum per raw, (visit, detector): the raw to <c>postisr/VVVVVV/DET.fits</c>.</item>
/// <item><b>characterize</b>, one quantum per raw: its post-ISR exposure to <c>calexp/VVVVVV/DET.fits</c>; it depends on
/// the raw's ISR quantum.</item>
/// <item><b>warp</b>, one quantum per (tract, patch, visit): the characterized exposures of the visit's detectors that
/// reach the patch, by detector id, to <c>warp/TTTTT/PPP/VVVVVV.fits</c>; it depends on their characterize quanta.</item>
/// <item><b>psfmatch</b>, one quantum per warp: the direct warp matched to the model PSF, to
/// <c>psfmatchedwarp/TTTTT/PPP/VVVVVV.fits</c>; it depends on the warp's quantum.</item>
/// <item><b>coadd</b>, one quantum per (tract, patch): the patch's direct warps by visit, then its PSF-matched warps in the
/// same order, to <c>coadd/TTTTT/PPP.fits</c>; it depends on their warp and psfmatch quanta.</item>
/// </list>
/// Each step's quanta are listed in <see cref="PipelineConfig.Order"/> (coadds by tract and patch). A raw whose header
/// cannot be read is an <see cref="UnplannedRaw"/>, as is a second raw of a (visit, detector) already planned.
/// </summary>
public static class QuantumGraphPlanner
{
    /// <summary>Plans the run of <paramref name="config"/> over the raws of <paramref name="data"/>, writing to
    /// <paramref name="output"/>. Reads headers only; writes nothing.</summary>
    /// <exception cref="ArgumentException">No raw directory, no calibration directory, no raws, raws of different scales,
    /// or a bad configuration.</exception>
    public static QuantumGraph Plan(DataRepository data, DataRepository output, PipelineConfig config) => PlanCompact(data, output, config).ToGraph();

    /// <summary><see cref="Plan"/> as numbers, without the graph's objects (<see cref="CompactPlan"/>: what a plan directory
    /// is written from).</summary>
    internal static CompactPlan PlanCompact(DataRepository data, DataRepository output, PipelineConfig config)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (!Directory.Exists(data.RawRoot)) throw new ArgumentException($"{data.Root}: no raw/ directory (raw/VISIT/DETECTOR.fits)");
        if (!Directory.Exists(data.CalibrationRoot)) throw new ArgumentException($"{data.Root}: no calib/ directory");
        var rawPaths = data.FindRaws();
        if (rawPaths.Count == 0) throw new ArgumentException($"{data.RawRoot}: no raw files (raw/VISIT/DETECTOR.fits)");
        var camera = CameraModel.LsstCam;

        // Each raw's visit, detector, scale and footprint, from its primary header.
        var planned = new List<RawPlan>();
        var unplanned = new List<UnplannedRaw>();
        var seen = new Dictionary<(int Visit, int Detector), string>();
        foreach (string path in rawPaths)
        {
            string name = Path.GetFileName(Path.GetDirectoryName(path)) + " " + Path.GetFileName(path);
            try
            {
                var raw = RawPlan.Read(path, camera);
                if (!seen.TryAdd((raw.Visit, raw.DetectorId), path))
                    throw new ArgumentException($"visit {raw.Visit} detector {raw.Detector} is also {seen[(raw.Visit, raw.DetectorId)]}");
                planned.Add(raw);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                unplanned.Add(new UnplannedRaw(PipelineSteps.Isr, name, path, DataRepository.VisitOfRaw(path), "cannot plan: " + e.Message));
            }
        }
        var scales = planned.Select(r => r.Scale).Distinct().ToList();
        if (scales.Count > 1) throw new ArgumentException($"{data.RawRoot}: raws of different scales ({string.Join(", ", scales)}) cannot share one sky map");
        return Build(data, output, config, camera, planned, unplanned, scales.Count == 1 ? scales[0] : 1);
    }

    /// <summary>
    /// Plans the run of <paramref name="config"/> over the raws <see cref="Simulator.Run"/> would write for
    /// <paramref name="simulation"/> into <paramref name="data"/>, without any file: each (visit, detector) gets the
    /// pointing the simulator draws for the visit and the pixel-to-sky half of the WCS it would write into the raw's
    /// header (the same fit, its grid's tangent-plane positions found by a rotation instead of trigonometry:
    /// <see cref="Optics.DetectorWcsForward(Pointing, CameraModel, Optics.FitGrid)"/>; planning never maps sky to a raw's pixels), so the graph is the one
    /// <see cref="Plan"/> makes from the simulated raws, up to the rounding of the header's numbers. For planning at
    /// scale (a night of 800 visits of 189 detectors) where no pixels exist; reads and writes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A bad simulation or pipeline configuration.</exception>
    public static QuantumGraph PlanSimulated(SimulationConfig simulation, DataRepository data, DataRepository output, PipelineConfig config) =>
        PlanSimulatedCompact(simulation, data, output, config).ToGraph();

    /// <summary><see cref="PlanSimulated(SimulationConfig, DataRepository, DataRepository, PipelineConfig)"/> as numbers,
    /// without the graph's objects (<see cref="CompactPlan"/>: what a plan directory is written from).</summary>
    internal static CompactPlan PlanSimulatedCompact(SimulationConfig simulation, DataRepository data, DataRepository output, PipelineConfig config) =>
        PlanSimulatedCompact(simulation, data, output, config, reference: false);

    /// <summary><see cref="PlanSimulated(SimulationConfig, DataRepository, DataRepository, PipelineConfig)"/>; with
    /// <paramref name="reference"/>, the slow way it was first written, which tests compare the fast way with: each raw's
    /// whole WCS fitted as the simulator fits it (<see cref="Optics.DetectorWcs"/>, not the pixel-to-sky half from the
    /// detector's grid and a rotation, <see cref="Optics.DetectorWcsForward(Pointing, CameraModel, Optics.FitGrid)"/>), and each patch tested by
    /// <see cref="Warper.WarpedBBox"/> (the raw's edge taken to the sky again for every patch).</summary>
    internal static QuantumGraph PlanSimulated(SimulationConfig simulation, DataRepository data, DataRepository output, PipelineConfig config, bool reference) =>
        PlanSimulatedCompact(simulation, data, output, config, reference).ToGraph();

    private static CompactPlan PlanSimulatedCompact(SimulationConfig simulation, DataRepository data, DataRepository output, PipelineConfig config, bool reference)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(config);
        simulation.Validate();
        config.Validate();
        var camera = CameraModel.LsstCam;
        var scaled = camera.Scaled(simulation.Scale);
        var detectors = Simulator.SelectDetectors(scaled, simulation.Detectors);
        var pointings = new Pointing[simulation.Visits];
        for (int visit = 0; visit < pointings.Length; visit++) pointings[visit] = Simulator.VisitConditions(simulation, visit).Pointing;
        // What the WCS fit takes from the detector alone is made once per detector, and what it takes from the visit alone
        // once per visit, not once per raw.
        var grids = detectors.Select(d => Optics.FitGrid.Of(scaled, d)).ToArray();
        var frames = pointings.Select(p => Optics.VisitFrame.Of(p, scaled)).ToArray();
        var planned = new RawPlan[pointings.Length * detectors.Count];
        Parallel.For(0, planned.Length, i =>
        {
            int visit = i / detectors.Count;
            var det = detectors[i % detectors.Count];
            var wcs = reference ? Optics.DetectorWcs(pointings[visit], scaled, det) : Optics.DetectorWcsForward(frames[visit], grids[i % detectors.Count]);
            planned[i] = new RawPlan(data.Raw(visit, det.Name), visit, det.Name, det.Id, simulation.Scale, det.BBox.Width, det.BBox.Height, wcs);
        });
        return Build(data, output, config, camera, [.. planned], [], simulation.Scale, reference);
    }

    private static CompactPlan Build(DataRepository data, DataRepository output, PipelineConfig config, CameraModel camera, List<RawPlan> planned,
                                     List<UnplannedRaw> unplanned, int scale, bool reference = false)
    {
        int border = config.WarpBorder / scale;
        var steps = PipelineSteps.Through(config.Until);
        var raws = planned.Select(r => new CompactPlan.RawQuantum(r.Path, r.Visit, r.DetectorId, r.Detector)).ToArray();
        var rawOrder = Ordered(config.Order, planned.Count, i => planned[i].Visit, i => planned[i].DetectorId);
        var warps = steps.Contains(PipelineSteps.Warp) ? PlanWarps(planned, new RingsSkyMap(Pipeline.SkyMapFor(camera, scale)), border, reference)
            : new WarpPlan([], [0], []);
        // The warps in the configured order (by visit, then by tract and patch: a packed key that sorts as the pair).
        var warpOrder = Ordered(config.Order, warps.Count, w => warps.Keys[w].Visit, w => ((long)warps.Keys[w].Tract << 32) | (uint)warps.Keys[w].Patch);
        return new CompactPlan(data, output, scale, border, config.Order.ToString(), steps, unplanned, raws, rawOrder,
                               warps.Keys, warps.Start, warps.Raws, warpOrder);
    }

    /// <summary>0 .. <paramref name="count"/> - 1 in <paramref name="order"/> (<see cref="QuantumOrder.Apply"/>, which is
    /// stable): by visit, then by <paramref name="cluster"/>, or as the order says.</summary>
    private static int[] Ordered<TCluster>(QuantumOrder order, int count, Func<int, int> visit, Func<int, TCluster> cluster) =>
        [.. order.Apply(Enumerable.Range(0, count), visit, cluster)];

    /// <summary>The direct warps a plan has: their (tract, patch, visit) keys, sorted, and each one's raws (places in the
    /// planned list) in raw order: those of warp <c>w</c> are <c>Raws[Start[w] .. Start[w + 1])</c>.</summary>
    private sealed class WarpPlan((int Tract, int Patch, int Visit)[] keys, int[] start, int[] raws)
    {
        public (int Tract, int Patch, int Visit)[] Keys { get; } = keys;

        public int[] Start { get; } = start;

        public int[] Raws { get; } = raws;

        public int Count => Keys.Length;
    }

    /// <summary>A raw that reaches a patch: the warp's key and the raw's place in the planned list.</summary>
    private readonly record struct WarpMember(int Tract, int Patch, int Visit, int Raw) : IComparable<WarpMember>
    {
        public int CompareTo(WarpMember other)
        {
            int c = Tract.CompareTo(other.Tract);
            if (c == 0) c = Patch.CompareTo(other.Patch);
            if (c == 0) c = Visit.CompareTo(other.Visit);
            return c != 0 ? c : Raw.CompareTo(other.Raw);
        }
    }

    /// <summary>(tract, patch, visit) -> the visit's raws whose warped box touches the patch's grown outer box, in raw order;
    /// sorted by tract, patch and visit.</summary>
    private static WarpPlan PlanWarps(List<RawPlan> planned, RingsSkyMap skyMap, int border, bool reference)
    {
        // Each raw's (tract, patch) pairs are independent of the others': found in parallel, each thread keeping its own
        // members and buffers; the members are distinct, so sorting them all gives one order whichever thread found which.
        var targets = new System.Collections.Concurrent.ConcurrentDictionary<(int Tract, int Patch), WarpTarget>();
        var found = new List<ArraySegment<WarpMember>>();
        Parallel.For(0, planned.Count, () => new WarpScratch(), (i, _, scratch) =>
        {
            FindWarps(planned[i], i, skyMap, border, reference, targets, scratch);
            return scratch;
        }, scratch =>
        {
            lock (found) found.AddRange(scratch.MemberChunks());
        });
        // The members by key, then raw order (each key's raws in raw order), into the plan's keys, their starts and raws.
        int total = found.Sum(m => m.Count);
        var keys = new List<(int Tract, int Patch, int Visit)>();
        var start = new List<int>();
        var raws = new int[total];
        void Add(int m, int tract, int patch, int visit, int raw)
        {
            if (m == 0 || (tract, patch, visit) != keys[^1])
            {
                keys.Add((tract, patch, visit));
                start.Add(m);
            }
            raws[m] = raw;
        }
        if (PackedMembers(found, total) is var (packed, patches, visits, minVisit, rawCount))
        {
            found.Clear();   // the members are in the keys now
            for (int m = 0; m < packed.Length; m++)
            {
                ulong key = (ulong)packed[m];
                int raw = (int)(key % rawCount);
                key /= rawCount;
                int visit = (int)((long)(key % visits) + minVisit);
                key /= visits;
                Add(m, (int)(key / patches), (int)(key % patches), visit, raw);
            }
        }
        else
        {
            var members = new WarpMember[total];
            int n = 0;
            foreach (var part in found)
            {
                part.CopyTo(members, n);
                n += part.Count;
            }
            Array.Sort(members);
            for (int m = 0; m < members.Length; m++) Add(m, members[m].Tract, members[m].Patch, members[m].Visit, members[m].Raw);
        }
        start.Add(total);
        return new WarpPlan([.. keys], [.. start], raws);
    }

    /// <summary>The members of <paramref name="found"/> (<paramref name="total"/>, distinct) as packed keys,
    /// ((tract * patches + patch) * visits + visit - first visit) * raws + raw, sorted: they order as
    /// <see cref="WarpMember.CompareTo"/> orders the members (each field below its bound), and sort as numbers. Null when
    /// the keys would not fit in 63 bits (or a field is negative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
    private static (long[] Keys, ulong Patches, ulong Visits, int MinVisit, ulong Raws)? PackedMembers(List<ArraySegment<WarpMember>> found, int total)
    {
        if (total == 0) return null;
        int maxTract = 0, maxPatch = 0, maxRaw = 0, minVisit = int.MaxValue, maxVisit = int.MinValue;
        bool negative = false;
        foreach (var part in found)
            foreach (var m in part)
            {
                negative |= m.Tract < 0 || m.Patch < 0 || m.Raw < 0;
                (maxTract, maxPatch, maxRaw) = (Math.Max(maxTract, m.Tract), Math.Max(maxPatch, m.Patch), Math.Max(maxRaw, m.Raw));
                (minVisit, maxVisit) = (Math.Min(minVisit, m.Visit), Math.Max(maxVisit, m.Visit));
            }
        ulong patches = (ulong)maxPatch + 1, visits = (ulong)((long)maxVisit - minVisit + 1), raws = (ulong)maxRaw + 1;
        if (negative || (UInt128)((ulong)maxTract + 1) * patches * visits * raws > long.MaxValue) return null;
        var keys = new long[total];
        int n = 0;
        foreach (var part in found)
            foreach (var m in part)
                keys[n++] = (long)((((ulong)m.Tract * patches + (ulong)m.Patch) * visits + (ulong)((long)m.Visit - minVisit)) * raws + (ulong)m.Raw);
        Array.Sort(keys);   // distinct keys: no ties to keep in order
        return (keys, patches, visits, minVisit, raws);
    }

    /// <summary>What <see cref="FindWarps"/> reuses from raw to raw on one thread: the warps found so far, the buffers of a
    /// raw's footprint and tracts, and its edge: the points <see cref="Warper.WarpedBBox"/> takes along it, their positions
    /// on the raw's tangent plane, and their sky positions, each found when first needed.</summary>
    private sealed class WarpScratch
    {
        private double[] _x = [], _y = [], _xi = [], _eta = [], _ra = [], _dec = [];
        private int[] _skyStamp = [];
        private int _stamp;
        private bool _onPlane;
        private SkyWcs? _wcs;

        private const int ChunkSize = 8192;   // members: 128 KiB
        private readonly List<WarpMember[]> _chunks = [];
        private int _filled = ChunkSize;   // members in the last chunk

        /// <summary>Adds a member found (kept in chunks: no copying as they grow, no array twice the size).</summary>
        public void AddMember(WarpMember member)
        {
            if (_filled == ChunkSize)
            {
                _chunks.Add(new WarpMember[ChunkSize]);
                _filled = 0;
            }
            _chunks[^1][_filled++] = member;
        }

        /// <summary>The members found, chunk by chunk.</summary>
        public IEnumerable<ArraySegment<WarpMember>> MemberChunks() =>
            _chunks.Select((chunk, i) => new ArraySegment<WarpMember>(chunk, 0, i == _chunks.Count - 1 ? _filled : ChunkSize));

        public (double Ra, double Dec)[] Footprint { get; } = new (double, double)[9];

        public List<TractInfo> Tracts { get; } = [];

        /// <summary>The edge's points.</summary>
        public int Count { get; private set; }

        /// <summary>The raw's WCS.</summary>
        public SkyWcs RawWcs => _wcs!;

        /// <summary>The edge's points' offsets from a tract's reference pixel as the rotation between the tangent planes
        /// gives them (<see cref="EdgeExtremes"/>).</summary>
        public double[] ApproximateU { get; private set; } = [];

        /// <summary>See <see cref="ApproximateU"/>.</summary>
        public double[] ApproximateV { get; private set; } = [];

        /// <summary>The raw's tangent basis (<see cref="Optics.TangentBasis"/>), when <see cref="Plane"/> has been called.</summary>
        public double[] RawBasis { get; } = new double[9];

        /// <summary>Starts a raw whose edge is that of <paramref name="box"/> and whose WCS is <paramref name="wcs"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
        public void Begin(Box2I box, SkyWcs wcs)
        {
            _wcs = wcs;
            _onPlane = false;
            _stamp++;
            // The points of Warper.WarpedBBox, in its order.
            double x0 = box.MinX - 0.5, x1 = box.MaxX + 0.5, y0 = box.MinY - 0.5, y1 = box.MaxY + 0.5;
            int nx = Math.Max(1, box.Width / 64), ny = Math.Max(1, box.Height / 64);
            int count = Count = 2 * (nx + 1) + 2 * (ny + 1);
            if (_x.Length < count)
            {
                (_x, _y, _xi, _eta, _ra, _dec) = (new double[count], new double[count], new double[count], new double[count], new double[count], new double[count]);
                (_skyStamp, ApproximateU, ApproximateV) = (new int[count], new double[count], new double[count]);
            }
            int k = 0;
            for (int i = 0; i <= nx; i++)
            {
                double x = x0 + (x1 - x0) * i / nx;
                (_x[k], _y[k++]) = (x, y0);
                (_x[k], _y[k++]) = (x, y1);
            }
            for (int j = 0; j <= ny; j++)
            {
                double y = y0 + (y1 - y0) * j / ny;
                (_x[k], _y[k++]) = (x0, y);
                (_x[k], _y[k++]) = (x1, y);
            }
        }

        /// <summary>Point <paramref name="k"/> on the sky: <see cref="SkyWcs.PixelToSky(double, double)"/> of its pixel, as
        /// <see cref="Warper.WarpedBBox"/> takes it.</summary>
        public (double Ra, double Dec) Sky(int k)
        {
            if (_skyStamp[k] != _stamp)
            {
                (_ra[k], _dec[k]) = _wcs!.PixelToSky(_x[k], _y[k]);
                _skyStamp[k] = _stamp;
            }
            return (_ra[k], _dec[k]);
        }

        /// <summary>The points' positions on the raw's tangent plane, radians (<see cref="SkyWcs.PixelToPlane"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
        public (double[] Xi, double[] Eta) Plane()
        {
            if (!_onPlane)
            {
                for (int k = 0; k < Count; k++) (_xi[k], _eta[k]) = _wcs!.PixelToPlane(_x[k], _y[k]);
                Optics.TangentBasis(_wcs!.CrVal.Ra, _wcs.CrVal.Dec, RawBasis);
                _onPlane = true;
            }
            return (_xi, _eta);
        }
    }

    /// <summary>Adds to <paramref name="scratch"/>'s members the (tract, patch) pairs raw <paramref name="index"/>
    /// (<paramref name="raw"/>) reaches: the tracts of its footprint's points (<see cref="RawPlan.FootprintOnSky"/>), the
    /// patches of each (<see cref="TractInfo.FindPatches"/>), and of those the ones its warped box touches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
    private static void FindWarps(RawPlan raw, int index, RingsSkyMap skyMap, int border, bool reference,
                                  System.Collections.Concurrent.ConcurrentDictionary<(int Tract, int Patch), WarpTarget> targets, WarpScratch scratch)
    {
        var points = scratch.Footprint;
        raw.FootprintOnSky(points);
        var tracts = scratch.Tracts;
        tracts.Clear();   // in no particular order: the members are sorted
        foreach (var (ra, dec) in points) skyMap.AddAllTracts(ra, dec, tracts);
        var box = new Box2I(0, 0, raw.Width, raw.Height);
        scratch.Begin(box, raw.Wcs);
        foreach (var tract in tracts)
        {
            if (!tract.PatchRange(points, out int px0, out int py0, out int px1, out int py1)) continue;
            // A patch's grid is its tract's with another reference pixel: the edge's extreme offsets are found once per
            // tract, and each patch adds its own reference pixel, as SkyToPixel would (the same numbers, so the same box).
            bool projected = false;
            var extremes = (MinU: 0.0, MinV: 0.0, MaxU: 0.0, MaxV: 0.0);
            for (int py = py0; py <= py1; py++)
                for (int px = px0; px <= px1; px++)
                {
                    int seq = py * tract.PatchesX + px;
                    var target = targets.GetOrAdd((tract.Id, seq), static (_, a) => DirectWarp.Target(a.Tract, a.Tract.Patch(a.X, a.Y), a.Border),
                                                  (Tract: tract, X: px, Y: py, Border: border));
                    Box2I warped;
                    if (reference) warped = Warper.WarpedBBox(box, raw.Wcs, target.Wcs);
                    else if (!tract.Wcs.DiffersOnlyInCrPix(target.Wcs)) warped = WarpedBBox(scratch, target.Wcs);
                    else
                    {
                        if (!projected) (extremes, projected) = (EdgeExtremes(scratch, tract.Wcs), true);
                        warped = WarpedBBox(extremes, target.Wcs.CrPix);
                    }
                    if (warped.Intersect(new Box2I(0, 0, target.Width, target.Height)).IsEmpty) continue;
                    scratch.AddMember(new WarpMember(tract.Id, seq, raw.Visit, index));
                }
        }
    }

    /// <summary>How far apart, in pixels, the rotation's offsets of an edge point (<see cref="EdgeExtremes"/>) may be from
    /// SkyToOffset's of its sky position, at most: both are the same point's projection, rounded differently (each about
    /// 1e-15 of the offset, 1e-10 pixels for a tract's 1e5), and this allows 1e-3 pixels plus 1e-9 of the offset.</summary>
    private const double ApproximationTolerance = 1e-3, ApproximationRelativeTolerance = 1e-9;

    /// <summary>
    /// <see cref="EdgeExtremesExactly"/> of the raw's edge (<paramref name="scratch"/>) on <paramref name="wcs"/> (a tract's:
    /// TAN, no SIP) without taking every point to the sky and back: each point's offsets are first found without
    /// trigonometry, by the rotation that takes the raw's tangent plane to the tract's (a gnomonic projection maps to
    /// another by a projective transformation), and only the points whose rotated offsets are within twice the tolerance
    /// (<see cref="ApproximationTolerance"/>) of the smallest or largest are taken to the sky and back exactly. The
    /// extreme point is among them (its rotated offset is within the tolerance of its exact one, which is no farther
    /// than any other point's exact offset, itself within the tolerance of its rotated one), so the extremes are the
    /// very numbers the exact loop over every point finds. Points far from the tract's tangent point (more than 60
    /// degrees), a LONPOLE other than 180, or a point the exact way cannot place, take the exact way for every point.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
    private static (double MinU, double MinV, double MaxU, double MaxV) EdgeExtremes(WarpScratch scratch, SkyWcs wcs)
    {
        if (wcs.LonPole != 180 || wcs.HasDistortion || scratch.RawWcs.LonPole != 180) return EdgeExtremesExactly(scratch, wcs);
        var (xi, eta) = scratch.Plane();
        Span<double> tract = stackalloc double[9], m = stackalloc double[9];
        Optics.TangentBasis(wcs.CrVal.Ra, wcs.CrVal.Dec, tract);
        var raw = scratch.RawBasis;
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) m[r * 3 + c] = tract[r * 3] * raw[c * 3] + tract[r * 3 + 1] * raw[c * 3 + 1] + tract[r * 3 + 2] * raw[c * 3 + 2];
        double[] au = scratch.ApproximateU, av = scratch.ApproximateV;
        double aMinU = double.PositiveInfinity, aMinV = double.PositiveInfinity, aMaxU = double.NegativeInfinity, aMaxV = double.NegativeInfinity;
        int count = scratch.Count;
        for (int k = 0; k < count; k++)
        {
            double ex = m[0] * xi[k] + m[1] * eta[k] + m[2], ny = m[3] * xi[k] + m[4] * eta[k] + m[5], rz = m[6] * xi[k] + m[7] * eta[k] + m[8];
            double norm = Math.Sqrt(ex * ex + ny * ny + rz * rz);
            if (!(rz > 0.5 * norm)) return EdgeExtremesExactly(scratch, wcs);
            (au[k], av[k]) = wcs.PlaneToOffset(ex / rz / Deg, ny / rz / Deg);
            if (!double.IsFinite(au[k]) || !double.IsFinite(av[k])) return EdgeExtremesExactly(scratch, wcs);
            (aMinU, aMinV, aMaxU, aMaxV) = (Math.Min(aMinU, au[k]), Math.Min(aMinV, av[k]), Math.Max(aMaxU, au[k]), Math.Max(aMaxV, av[k]));
        }
        double tolU = ApproximationTolerance + ApproximationRelativeTolerance * Math.Max(Math.Abs(aMinU), Math.Abs(aMaxU));
        double tolV = ApproximationTolerance + ApproximationRelativeTolerance * Math.Max(Math.Abs(aMinV), Math.Abs(aMaxV));
        double minU = double.PositiveInfinity, minV = double.PositiveInfinity, maxU = double.NegativeInfinity, maxV = double.NegativeInfinity;
        for (int k = 0; k < count; k++)
        {
            if (au[k] > aMinU + 2 * tolU && au[k] < aMaxU - 2 * tolU && av[k] > aMinV + 2 * tolV && av[k] < aMaxV - 2 * tolV) continue;
            var (ra, dec) = scratch.Sky(k);
            var (u, v) = wcs.SkyToOffset(ra, dec);
            if (!double.IsFinite(u) || !double.IsFinite(v)) return EdgeExtremesExactly(scratch, wcs);
            (minU, minV, maxU, maxV) = (Math.Min(minU, u), Math.Min(minV, v), Math.Max(maxU, u), Math.Max(maxV, v));
        }
        return (minU, minV, maxU, maxV);
    }


    private const double Deg = Math.PI / 180;

    /// <summary>The smallest and largest offsets from <paramref name="wcs"/>'s reference pixel
    /// (<see cref="SkyWcs.SkyToOffset"/>) of the raw's edge points (<paramref name="scratch"/>) on the sky whose offsets
    /// are finite (+inf and -inf when none is): every point taken to the sky and back.</summary>
    private static (double MinU, double MinV, double MaxU, double MaxV) EdgeExtremesExactly(WarpScratch scratch, SkyWcs wcs)
    {
        double minU = double.PositiveInfinity, minV = double.PositiveInfinity, maxU = double.NegativeInfinity, maxV = double.NegativeInfinity;
        for (int k = 0; k < scratch.Count; k++)
        {
            var (ra, dec) = scratch.Sky(k);
            var (u, v) = wcs.SkyToOffset(ra, dec);
            if (!double.IsFinite(u) || !double.IsFinite(v)) continue;
            (minU, minV, maxU, maxV) = (Math.Min(minU, u), Math.Min(minV, v), Math.Max(maxU, u), Math.Max(maxV, v));
        }
        return (minU, minV, maxU, maxV);
    }

    /// <summary>The edge-on-sky overload of WarpedBBox on a grid whose WCS differs from the one that gave
    /// <paramref name="extremes"/> (<see cref="EdgeExtremes"/>) only in its reference pixel, <paramref name="crpix"/>:
    /// the box of the points' pixel positions, offset + CRPIX, as SkyToPixel gives them. Adding CRPIX is monotonic (x &lt;=
    /// y gives x + c &lt;= y + c after rounding), so the smallest and largest positions are the extreme offsets plus CRPIX,
    /// the very numbers the per-point loop finds; and offset + CRPIX is finite where the offset is (|CRPIX| is far below
    /// the spacing of doubles near overflow). So the same box.</summary>
    private static Box2I WarpedBBox((double MinU, double MinV, double MaxU, double MaxV) extremes, (double X, double Y) crpix) =>
        BoxOf(extremes.MinU + crpix.X, extremes.MinV + crpix.Y, extremes.MaxU + crpix.X, extremes.MaxV + crpix.Y);

    /// <summary>The pixel box <see cref="Warper.WarpedBBox"/> makes of the extremes of the warped edge (empty when no point
    /// was finite).</summary>
    private static Box2I BoxOf(double minX, double minY, double maxX, double maxY)
    {
        if (double.IsInfinity(minX)) return default;
        int bx0 = (int)Math.Floor(minX + 0.5), by0 = (int)Math.Floor(minY + 0.5);
        return Box2I.FromCorners(bx0, by0, (int)Math.Ceiling(maxX - 0.5), (int)Math.Ceiling(maxY - 0.5));
    }

    /// <summary><see cref="Warper.WarpedBBox"/> of the raw whose edge <paramref name="scratch"/> holds: the same operations
    /// on the same numbers, so the same box.</summary>
    private static Box2I WarpedBBox(WarpScratch scratch, SkyWcs destWcs)
    {
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int k = 0; k < scratch.Count; k++)
        {
            var (ra, dec) = scratch.Sky(k);
            var (dx, dy) = destWcs.SkyToPixel(ra, dec);
            if (!double.IsFinite(dx) || !double.IsFinite(dy)) continue;
            (minX, minY, maxX, maxY) = (Math.Min(minX, dx), Math.Min(minY, dy), Math.Max(maxX, dx), Math.Max(maxY, dy));
        }
        return BoxOf(minX, minY, maxX, maxY);
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

        /// <summary>Corners, edge midpoints and centre of the trimmed image on the sky, into <paramref name="points"/> (9),
        /// row by row from the first.</summary>
        public void FootprintOnSky(Span<(double Ra, double Dec)> points)
        {
            ReadOnlySpan<double> fractions = [0.0, 0.5, 1.0];
            int k = 0;
            foreach (double fy in fractions)
                foreach (double fx in fractions)
                    points[k++] = Wcs.PixelToSky(fx * (Width - 1), fy * (Height - 1));
        }
    }
}
