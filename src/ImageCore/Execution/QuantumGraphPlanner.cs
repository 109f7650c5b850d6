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
    /// <see cref="Optics.DetectorWcsForward"/>; planning never maps sky to a raw's pixels), so the graph is the one
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
    /// detector's grid and a rotation, <see cref="Optics.DetectorWcsForward"/>), and each patch tested by
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
        // What the WCS fit takes from the detector alone is made once per detector, not once per raw.
        var grids = detectors.Select(d => Optics.FitGrid.Of(scaled, d)).ToArray();
        var planned = new RawPlan[pointings.Length * detectors.Count];
        Parallel.For(0, planned.Length, i =>
        {
            int visit = i / detectors.Count;
            var det = detectors[i % detectors.Count];
            var wcs = reference ? Optics.DetectorWcs(pointings[visit], scaled, det) : Optics.DetectorWcsForward(pointings[visit], scaled, grids[i % detectors.Count]);
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
        // Each raw's (tract, patch) list is independent of the others': found in parallel, merged in raw order.
        var targets = new System.Collections.Concurrent.ConcurrentDictionary<(int Tract, int Patch), WarpTarget>();
        var reached = new List<(int Tract, int Patch)>[planned.Count];
        Parallel.For(0, planned.Count, i =>
        {
            var raw = planned[i];
            var found = new List<(int Tract, int Patch)>();
            var points = raw.FootprintOnSky();
            var tracts = points.SelectMany(p => skyMap.FindAllTracts(p.Ra, p.Dec)).DistinctBy(t => t.Id);
            var box = new Box2I(0, 0, raw.Width, raw.Height);
            var edge = reference ? null : EdgeOnSky(box, raw.Wcs);
            foreach (var tract in tracts)
            {
                // A patch's grid is its tract's with another reference pixel: the edge is projected once per tract, and each
                // patch adds its own reference pixel, as SkyToPixel would (the same numbers, so the same box).
                (double U, double V)[]? offsets = null;
                foreach (var patch in tract.FindPatches(points))
                {
                    int seq = patch.Sequential(tract);
                    var target = targets.GetOrAdd((tract.Id, seq), static (_, a) => DirectWarp.Target(a.Tract, a.Patch, a.Border), (Tract: tract, Patch: patch, Border: border));
                    var warped = edge is null ? Warper.WarpedBBox(box, raw.Wcs, target.Wcs)
                        : tract.Wcs.DiffersOnlyInCrPix(target.Wcs) ? WarpedBBox(offsets ??= EdgeOffsets(edge, tract.Wcs), target.Wcs.CrPix)
                        : WarpedBBox(edge, target.Wcs);
                    if (warped.Intersect(new Box2I(0, 0, target.Width, target.Height)).IsEmpty) continue;
                    found.Add((tract.Id, seq));
                }
            }
            reached[i] = found;
        });
        var members = new WarpMember[reached.Sum(r => r.Count)];
        int n = 0;
        for (int i = 0; i < planned.Count; i++)
            foreach (var (tract, seq) in reached[i]) members[n++] = new WarpMember(tract, seq, planned[i].Visit, i);
        Array.Sort(members);   // by key, then raw order: each key's raws in raw order
        var keys = new List<(int Tract, int Patch, int Visit)>();
        var start = new List<int>();
        var raws = new int[members.Length];
        for (int m = 0; m < members.Length; m++)
        {
            var member = members[m];
            if (m == 0 || (member.Tract, member.Patch, member.Visit) != keys[^1])
            {
                keys.Add((member.Tract, member.Patch, member.Visit));
                start.Add(m);
            }
            raws[m] = member.Raw;
        }
        start.Add(members.Length);
        return new WarpPlan([.. keys], [.. start], raws);
    }

    /// <summary>The sky positions of the points <see cref="Warper.WarpedBBox"/> takes along the edge of
    /// <paramref name="sourceBox"/>, in its order: computed once per raw, not once per patch.</summary>
    private static (double Ra, double Dec)[] EdgeOnSky(Box2I sourceBox, SkyWcs sourceWcs)
    {
        double x0 = sourceBox.MinX - 0.5, x1 = sourceBox.MaxX + 0.5, y0 = sourceBox.MinY - 0.5, y1 = sourceBox.MaxY + 0.5;
        int nx = Math.Max(1, sourceBox.Width / 64), ny = Math.Max(1, sourceBox.Height / 64);
        var sky = new (double Ra, double Dec)[2 * (nx + 1) + 2 * (ny + 1)];
        int k = 0;
        for (int i = 0; i <= nx; i++)
        {
            double x = x0 + (x1 - x0) * i / nx;
            sky[k++] = sourceWcs.PixelToSky(x, y0);
            sky[k++] = sourceWcs.PixelToSky(x, y1);
        }
        for (int j = 0; j <= ny; j++)
        {
            double y = y0 + (y1 - y0) * j / ny;
            sky[k++] = sourceWcs.PixelToSky(x0, y);
            sky[k++] = sourceWcs.PixelToSky(x1, y);
        }
        return sky;
    }

    /// <summary>The points of <paramref name="edgeOnSky"/> as offsets from <paramref name="wcs"/>'s reference pixel
    /// (<see cref="SkyWcs.SkyToOffset"/>).</summary>
    private static (double U, double V)[] EdgeOffsets((double Ra, double Dec)[] edgeOnSky, SkyWcs wcs)
    {
        var offsets = new (double U, double V)[edgeOnSky.Length];
        for (int i = 0; i < offsets.Length; i++) offsets[i] = wcs.SkyToOffset(edgeOnSky[i].Ra, edgeOnSky[i].Dec);
        return offsets;
    }

    /// <summary>The edge-on-sky overload of WarpedBBox on a grid whose WCS differs from the one that
    /// gave <paramref name="offsets"/> (<see cref="EdgeOffsets"/>) only in its reference pixel, <paramref name="crpix"/>:
    /// the pixel positions SkyToPixel would give, so the same box.</summary>
    private static Box2I WarpedBBox((double U, double V)[] offsets, (double X, double Y) crpix)
    {
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        foreach (var (u, v) in offsets)
        {
            double dx = u + crpix.X, dy = v + crpix.Y;
            if (!double.IsFinite(dx) || !double.IsFinite(dy)) continue;
            (minX, minY, maxX, maxY) = (Math.Min(minX, dx), Math.Min(minY, dy), Math.Max(maxX, dx), Math.Max(maxY, dy));
        }
        return BoxOf(minX, minY, maxX, maxY);
    }

    /// <summary>The pixel box <see cref="Warper.WarpedBBox"/> makes of the extremes of the warped edge (empty when no point
    /// was finite).</summary>
    private static Box2I BoxOf(double minX, double minY, double maxX, double maxY)
    {
        if (double.IsInfinity(minX)) return default;
        int bx0 = (int)Math.Floor(minX + 0.5), by0 = (int)Math.Floor(minY + 0.5);
        return Box2I.FromCorners(bx0, by0, (int)Math.Ceiling(maxX - 0.5), (int)Math.Ceiling(maxY - 0.5));
    }

    /// <summary><see cref="Warper.WarpedBBox"/> of a source whose edge is <paramref name="edgeOnSky"/>
    /// (<see cref="EdgeOnSky"/>): the same operations on the same numbers, so the same box.</summary>
    private static Box2I WarpedBBox((double Ra, double Dec)[] edgeOnSky, SkyWcs destWcs)
    {
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        foreach (var (ra, dec) in edgeOnSky)
        {
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
