using System.Runtime.CompilerServices;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Astrometry;

/// <summary>The geometry of a rings sky map; the defaults are Rubin's <c>lsst_cells_v1</c>.</summary>
public sealed record SkyMapConfig
{
    /// <summary>Rings of declination between the two polar caps.</summary>
    public int NumRings { get; init; } = 120;

    /// <summary>RA of the first tract centre of every ring, degrees.</summary>
    public double RaStart { get; init; }

    /// <summary>Pixel scale of every tract's TAN projection, arcsec.</summary>
    public double PixelScaleArcsec { get; init; } = 0.2;

    /// <summary>Minimum overlap of neighbouring tracts, degrees (1 arcmin).</summary>
    public double TractOverlapDegrees { get; init; } = 1.0 / 60;

    /// <summary>Inner size of a patch (the inner boxes tile the tract), pixels: 20 cells of 150.</summary>
    public int PatchInner { get; init; } = 3000;

    /// <summary>Border added around each patch's inner box, pixels (one 150-pixel cell + 50); not clipped to the tract.</summary>
    public int PatchBorder { get; init; } = 200;

    /// <summary>The header keyword that says a data set's pixels are binned by an integer factor (the simulator's
    /// <c>SIMSCALE</c>: amplifier dimensions divided by it).</summary>
    public const string ScaleKeyword = "SIMSCALE";

    /// <summary>This sky map for data binned by <paramref name="scale"/>: pixels <paramref name="scale"/> times larger and
    /// patches that many times fewer pixels across, so tract and patch ids stay those of the full-size sky. The one rule
    /// used by <c>imagecore run</c> and by <c>imagecore warp --tract --patch</c>.</summary>
    /// <exception cref="ArgumentException">A scale below 1, or one that does not divide the patch sizes.</exception>
    public SkyMapConfig ForScale(int scale)
    {
        if (scale < 1) throw new ArgumentException($"{ScaleKeyword} = {scale}: a scale must be >= 1");
        if (PatchInner % scale != 0 || PatchBorder % scale != 0)
            throw new ArgumentException($"{ScaleKeyword} = {scale} does not divide the patch sizes ({PatchInner} + {PatchBorder} border pixels)");
        return this with { PixelScaleArcsec = PixelScaleArcsec * scale, PatchInner = PatchInner / scale, PatchBorder = PatchBorder / scale };
    }

    /// <summary>This sky map for the data whose WCSs are given: <see cref="ForScale"/> of the integer binning nearest to the
    /// data's pixel scale over this map's (<see cref="SkyWcs.PixelScaleArcsec"/> / <see cref="PixelScaleArcsec"/>, at least
    /// 1), so that 1/8-scale simulated data (1.6" pixels) get 1.6" tracts with patches an eighth as wide, and full-size
    /// LSSTCam data (0.2") the map itself. Data whose pixel scales differ by more than a factor 2 cannot share one sky map
    /// and are refused.</summary>
    /// <example><code>
    /// var skyMap = new RingsSkyMap(new SkyMapConfig().ForData([exposure.Wcs!]));
    /// </code></example>
    /// <exception cref="ArgumentException">No WCS given, pixel scales more than 2x apart (the message gives both), or a
    /// binning that does not divide the patch sizes.</exception>
    public SkyMapConfig ForData(IEnumerable<SkyWcs> dataWcs)
    {
        ArgumentNullException.ThrowIfNull(dataWcs);
        var scales = dataWcs.Select(w => (w ?? throw new ArgumentException("a data WCS is null", nameof(dataWcs))).PixelScaleArcsec).ToList();
        if (scales.Count == 0) throw new ArgumentException("no data WCS: the sky map's scale comes from the data's pixels", nameof(dataWcs));
        double min = scales.Min(), max = scales.Max();
        if (max > 2 * min)
            throw new ArgumentException($"the data's pixel scales disagree by more than 2x ({min:G4}\" to {max:G4}\" per pixel): they cannot share one sky map", nameof(dataWcs));
        var sorted = scales.Order().ToList();
        double median = sorted[sorted.Count / 2];
        return ForScale(Math.Max(1, (int)Math.Round(median / PixelScaleArcsec)));
    }

    /// <summary>The binning of the data a header describes: its <see cref="ScaleKeyword"/>, or 1 without one.</summary>
    /// <exception cref="FitsFormatException">The keyword is not an integer from 1 to 64.</exception>
    public static int ScaleOf(FitsHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (!header.Contains(ScaleKeyword)) return 1;
        long scale = header.GetInt64(ScaleKeyword);
        if (scale is < 1 or > 64) throw new FitsFormatException(header.Source, header.HduIndex, -1, ScaleKeyword, $"{scale} is not a binning factor from 1 to 64");
        return (int)scale;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for out-of-range values.</summary>
    public void Validate()
    {
        if (NumRings < 1) throw new ArgumentException($"SkyMapConfig.NumRings must be >= 1 (is {NumRings})");
        if (!(RaStart >= 0 && RaStart < 360)) throw new ArgumentException($"SkyMapConfig.RaStart must be in [0, 360) (is {RaStart})");
        if (!(PixelScaleArcsec > 0)) throw new ArgumentException($"SkyMapConfig.PixelScaleArcsec must be > 0 (is {PixelScaleArcsec})");
        if (!(TractOverlapDegrees >= 0)) throw new ArgumentException($"SkyMapConfig.TractOverlapDegrees must be >= 0 (is {TractOverlapDegrees})");
        if (PatchInner < 1 || PatchBorder < 0) throw new ArgumentException("SkyMapConfig.PatchInner must be >= 1 and PatchBorder >= 0");
    }
}

/// <summary>One patch of a tract: its index and its inner and outer boxes in the tract's pixel frame.</summary>
/// <param name="Tract">Tract id.</param>
/// <param name="X">Patch column (0 at the tract's minimum x).</param>
/// <param name="Y">Patch row.</param>
/// <param name="Inner">The inner box; the inner boxes tile the tract.</param>
/// <param name="Outer">The inner box grown by the patch border (not clipped to the tract).</param>
public sealed record PatchInfo(int Tract, int X, int Y, Box2I Inner, Box2I Outer)
{
    /// <summary>The sequential patch id within its tract: y * patches-per-row + x.</summary>
    public int Sequential(TractInfo tract) => Y * tract.PatchesX + X;
}

/// <summary>One tract: a TAN projection at its centre with the sky map's pixel scale, +y North and +x West
/// (CD1_1 negative), shifted so that the tract's lower-left pixel is (0, 0); a box that is a whole number of
/// patch inners.</summary>
/// <param name="Id">Tract id (0 is the south polar cap).</param>
/// <param name="Center">Tract centre (RA, Dec), degrees: the WCS's CRVAL.</param>
/// <param name="Wcs">The tract's WCS.</param>
/// <param name="BBox">The tract's box, starting at (0, 0).</param>
/// <param name="PatchesX">Patches per row.</param>
/// <param name="PatchesY">Patches per column.</param>
/// <param name="PatchInner">Inner patch size, pixels.</param>
/// <param name="PatchBorder">Patch border, pixels.</param>
public sealed record TractInfo(int Id, (double Ra, double Dec) Center, SkyWcs Wcs, Box2I BBox, int PatchesX, int PatchesY, int PatchInner, int PatchBorder)
{
    /// <summary>Whether the tract's box holds the pixel of (RA, Dec) (as Rubin's TractInfo.contains: the pixel
    /// position rounded to the nearest pixel).</summary>
    public bool Contains(double ra, double dec)
    {
        var (x, y) = Wcs.SkyToPixel(ra, dec);
        return double.IsFinite(x) && double.IsFinite(y) && BBox.Contains(new Point2I((int)Math.Floor(x + 0.5), (int)Math.Floor(y + 0.5)));
    }

    /// <summary>Patch (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such patch.</exception>
    public PatchInfo Patch(int x, int y)
    {
        if (x < 0 || x >= PatchesX || y < 0 || y >= PatchesY)
            throw new ArgumentOutOfRangeException(nameof(x), $"tract {Id} has {PatchesX} x {PatchesY} patches; there is no patch ({x}, {y})");
        var inner = new Box2I(x * PatchInner, y * PatchInner, PatchInner, PatchInner);
        return new PatchInfo(Id, x, y, inner, inner.Grow(PatchBorder));
    }

    /// <summary>The patch whose inner box holds (RA, Dec), or null when the tract does not.</summary>
    public PatchInfo? FindPatch(double ra, double dec)
    {
        var (x, y) = Wcs.SkyToPixel(ra, dec);
        if (!double.IsFinite(x) || !double.IsFinite(y)) return null;
        int px = (int)Math.Floor(x + 0.5), py = (int)Math.Floor(y + 0.5);
        if (!BBox.Contains(new Point2I(px, py))) return null;
        return Patch(px / PatchInner, py / PatchInner);
    }

    /// <summary>The patches whose outer boxes a sky region may touch: the region's points (e.g. a detector's
    /// corners and edge midpoints) are projected into the tract, and every patch whose inner box meets their
    /// bounding box grown by the border is returned (Rubin's findPatchList; a conservative superset).</summary>
    public IReadOnlyList<PatchInfo> FindPatches(IEnumerable<(double Ra, double Dec)> region)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (!PatchRange([.. region], out int px0, out int py0, out int px1, out int py1)) return [];
        var list = new List<PatchInfo>();
        for (int py = py0; py <= py1; py++)
            for (int px = px0; px <= px1; px++) list.Add(Patch(px, py));
        return list;
    }

    /// <summary>The patches <see cref="FindPatches"/> returns, as the columns <paramref name="px0"/> to
    /// <paramref name="px1"/> of the rows <paramref name="py0"/> to <paramref name="py1"/>; false when it returns none.
    /// For callers that look at many regions and need no <see cref="PatchInfo"/> for most patches.</summary>
    internal bool PatchRange(ReadOnlySpan<(double Ra, double Dec)> region, out int px0, out int py0, out int px1, out int py1)
    {
        (px0, py0, px1, py1) = (0, 0, -1, -1);
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        foreach (var (ra, dec) in region)
        {
            var (x, y) = Wcs.SkyToPixel(ra, dec);
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
        }
        if (double.IsInfinity(minX)) return false;
        int x0 = Math.Max(BBox.MinX, (int)Math.Floor(minX + 0.5) - PatchBorder), y0 = Math.Max(BBox.MinY, (int)Math.Floor(minY + 0.5) - PatchBorder);
        int x1 = Math.Min(BBox.MaxX, (int)Math.Floor(maxX + 0.5) + PatchBorder), y1 = Math.Min(BBox.MaxY, (int)Math.Floor(maxY + 0.5) + PatchBorder);
        if (x0 > x1 || y0 > y1) return false;
        (px0, py0, px1, py1) = (x0 / PatchInner, y0 / PatchInner, x1 / PatchInner, y1 / PatchInner);
        return true;
    }

    /// <summary>The FITS header of a patch's outer box as an image: NAXIS1/2, the tract WCS with CRPIX moved so
    /// that the box's first pixel is the file's first pixel, and LTV1/LTV2 giving the box's origin (afw's xy0).</summary>
    public FitsHeader PatchHeader(PatchInfo patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var box = patch.Outer;
        var shifted = Wcs.WithPixelOrigin(box.MinX, box.MinY);
        var h = new FitsHeader();
        h.Set("NAXIS", 2L);
        h.Set("NAXIS1", (long)box.Width);
        h.Set("NAXIS2", (long)box.Height);
        shifted.WriteTo(h);
        h.Set("LTV1", (double)-box.MinX, "xy0 = -LTV: the box's origin in the tract frame");
        h.Set("LTV2", (double)-box.MinY);
        h.Set("TRACT", (long)Id);
        h.Set("PATCH", (long)patch.Sequential(this), $"patch ({patch.X}, {patch.Y})");
        return h;
    }
}

/// <summary>
/// Rubin's rings sky map (lsst.skymap's RingsSkyMap with the "cells" tract builder): the sphere is cut into
/// <see cref="SkyMapConfig.NumRings"/> rings of declination plus two polar caps; ring i holds
/// int(2 pi cos(dec) / ringSize) + 1 tracts, dec being the ring edge nearer the equator. Tract 0 is the south
/// cap, then ring by ring northwards, each starting at <see cref="SkyMapConfig.RaStart"/> and going east;
/// the last tract is the north cap. A tract's box holds its centre offset by half a ring plus the overlap
/// towards the four compass points, enlarged (about its centre) to whole patch inners.
/// </summary>
public sealed class RingsSkyMap
{
    private const double Deg = Math.PI / 180;
    private readonly int[] _ringTracts;
    private readonly int[] _ringFirst;   // id of each ring's first tract
    private readonly double _ringSize;   // radians
    private const int ChunkBits = 8;   // tracts cached in chunks of 256, made on first use: a map used for one tract stays small
    private readonly TractEntry?[]?[] _tracts;   // by id >> ChunkBits, then id's low bits; each tract built on first use

    /// <summary>The sky map of <paramref name="config"/> (lsst_cells_v1 by default).</summary>
    public RingsSkyMap(SkyMapConfig? config = null)
    {
        Config = config ?? new SkyMapConfig();
        Config.Validate();
        int n = Config.NumRings;
        _ringSize = Math.PI / (n + 1);
        _ringTracts = new int[n];
        _ringFirst = new int[n];
        int id = 1;
        for (int i = 0; i < n; i++)
        {
            double start = _ringSize * (i + 0.5) - Math.PI / 2, stop = start + _ringSize;
            _ringTracts[i] = (int)(2 * Math.PI * Math.Cos(Math.Min(Math.Abs(start), Math.Abs(stop))) / _ringSize) + 1;
            _ringFirst[i] = id;
            id += _ringTracts[i];
        }
        TractCount = id + 1;
        _tracts = new TractEntry?[]?[(TractCount >> ChunkBits) + 1];
    }

    /// <summary>The geometry.</summary>
    public SkyMapConfig Config { get; }

    /// <summary>Number of tracts, polar caps included (18,938 for lsst_cells_v1).</summary>
    public int TractCount { get; }

    /// <summary>Ring size, degrees (180 / (rings + 1)).</summary>
    public double RingSizeDegrees => _ringSize / Deg;

    /// <summary>Tract <paramref name="id"/> (built once, then cached).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such tract.</exception>
    public TractInfo this[int id] => Entry(id).Tract;

    /// <summary>Tract <paramref name="id"/> and its bounds (built once, then cached).</summary>
    private TractEntry Entry(int id)
    {
        if (id < 0 || id >= TractCount) throw new ArgumentOutOfRangeException(nameof(id), $"tract {id} is not in [0, {TractCount - 1}]");
        // Lock-free (the planner looks tracts up from every thread); two threads may both build a new tract, and both get
        // the one stored.
        var chunk = Volatile.Read(ref _tracts[id >> ChunkBits]);
        if (chunk is null)
        {
            var made = new TractEntry?[1 << ChunkBits];
            chunk = Interlocked.CompareExchange(ref _tracts[id >> ChunkBits], made, null) ?? made;
        }
        ref var slot = ref chunk[id & ((1 << ChunkBits) - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null) return entry;
        var built = new TractEntry(Build(id));
        return Interlocked.CompareExchange(ref slot, built, null) ?? built;
    }

    /// <summary>The tract that (RA, Dec), degrees, belongs to (the nearest tract centre in its ring, as Rubin's findTract).</summary>
    public TractInfo FindTract(double ra, double dec)
    {
        double d = dec * Deg, firstRingStart = _ringSize * 0.5 - Math.PI / 2;
        if (d < firstRingStart) return this[0];
        if (d > -firstRingStart) return this[TractCount - 1];
        int ring = Math.Min(Config.NumRings - 1, (int)((d - firstRingStart) / _ringSize));
        return this[_ringFirst[ring] + TractInRing(ra, ring)];
    }

    /// <summary>Every tract whose box holds (RA, Dec): the neighbours in this and the adjacent rings, and the caps.</summary>
    public IReadOnlyList<TractInfo> FindAllTracts(double ra, double dec)
    {
        var found = new List<TractInfo>();
        AddAllTracts(ra, dec, found);
        return found;
    }

    /// <summary>Adds to <paramref name="found"/> each tract of <see cref="FindAllTracts"/>(<paramref name="ra"/>,
    /// <paramref name="dec"/>) it does not hold yet (a region's tracts, point by point, without a list per point). A
    /// candidate whose centre is farther from the point than its box reaches is left out without projecting the point:
    /// its <see cref="TractInfo.Contains"/> is false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first raw: no slow tier 0 while the JIT catches up
    internal void AddAllTracts(double ra, double dec, List<TractInfo> found)
    {
        double d = dec * Deg, firstRingStart = _ringSize * 0.5 - Math.PI / 2;
        int ring = d < firstRingStart ? -1 : d > -firstRingStart ? Config.NumRings : (int)((d - firstRingStart) / _ringSize);
        var point = UnitVector(ra, dec);
        for (int r = ring - 1; r <= ring + 1; r++)
        {
            if (r < 0 || r >= Config.NumRings) continue;
            int t0 = TractInRing(ra, r);
            for (int dt = -1; dt <= 1; dt++)
            {
                int t = ((t0 + dt) % _ringTracts[r] + _ringTracts[r]) % _ringTracts[r];
                var entry = Entry(_ringFirst[r] + t);
                if (entry.MayContain(point) && entry.Tract.Contains(ra, dec) && !found.Contains(entry.Tract)) found.Add(entry.Tract);
            }
        }
        for (int k = 0; k < 2; k++)
        {
            var cap = Entry(k == 0 ? 0 : TractCount - 1);
            if (cap.MayContain(point) && cap.Tract.Contains(ra, dec) && !found.Contains(cap.Tract)) found.Add(cap.Tract);
        }
    }

    /// <summary>The unit vector (equatorial frame) of (RA, Dec), degrees.</summary>
    private static (double X, double Y, double Z) UnitVector(double ra, double dec)
    {
        var (sa, ca) = Math.SinCos(ra * Deg);
        var (sd, cd) = Math.SinCos(dec * Deg);
        return (cd * ca, cd * sa, sd);
    }

    /// <summary>A tract and a bound on its reach: the cosine of an angle from its centre that no point of its box is
    /// farther than. A point of the box (pixel position within half a pixel of it) is at most <c>rho</c> =
    /// |CD (pixel - CRPIX)| degrees from the centre on the tangent plane, so at most atan(rho) from the centre on the
    /// sky; the bound adds 1e-5 radians, far more than the rounding of either side of the comparison.</summary>
    private sealed class TractEntry
    {
        private readonly double _x, _y, _z, _cosReach;

        public TractEntry(TractInfo tract)
        {
            Tract = tract;
            (_x, _y, _z) = UnitVector(tract.Center.Ra, tract.Center.Dec);
            var wcs = tract.Wcs;
            double hx = Math.Max(Math.Abs(tract.BBox.MinX - 0.5 - wcs.CrPix.X), Math.Abs(tract.BBox.MaxX + 0.5 - wcs.CrPix.X)) + 1;
            double hy = Math.Max(Math.Abs(tract.BBox.MinY - 0.5 - wcs.CrPix.Y), Math.Abs(tract.BBox.MaxY + 0.5 - wcs.CrPix.Y)) + 1;
            // CD's largest singular value: the most degrees on the tangent plane a pixel of offset can make.
            double a = wcs.Cd[0, 0], b = wcs.Cd[0, 1], c = wcs.Cd[1, 0], d = wcs.Cd[1, 1];
            double sum = a * a + b * b + c * c + d * d, det = a * d - b * c;
            double scale = Math.Sqrt((sum + Math.Sqrt(Math.Max(0, sum * sum - 4 * det * det))) / 2) * (1 + 1e-9);
            double reach = Math.Atan(scale * Math.Sqrt(hx * hx + hy * hy) * Deg) + 1e-5;
            // Beyond a quarter turn the test would say nothing: every point may be inside.
            _cosReach = reach < Math.PI / 2 ? Math.Cos(reach) : -2;
        }

        public TractInfo Tract { get; }

        /// <summary>False when the point of unit vector <paramref name="p"/> is certainly outside the tract's box.</summary>
        public bool MayContain((double X, double Y, double Z) p) => p.X * _x + p.Y * _y + p.Z * _z >= _cosReach;
    }

    private int TractInRing(double ra, int ring)
    {
        double delta = ((ra - Config.RaStart) % 360 + 360) % 360 * Deg;
        int t = (int)(delta / (2 * Math.PI / _ringTracts[ring]) + 0.5);
        return t == _ringTracts[ring] ? 0 : t;
    }

    private TractInfo Build(int id)
    {
        double ra, dec;
        if (id == 0) (ra, dec) = (0, -90);
        else if (id == TractCount - 1) (ra, dec) = (0, 90);
        else
        {
            int ring = Array.BinarySearch(_ringFirst, id);
            if (ring < 0) ring = ~ring - 1;
            int t = id - _ringFirst[ring];
            dec = (_ringSize * (ring + 1) - Math.PI / 2) / Deg;
            ra = ((360.0 * t / _ringTracts[ring] + Config.RaStart) % 360 + 360) % 360;
        }
        double scale = Config.PixelScaleArcsec / 3600;
        var cd = new double[,] { { -scale, 0 }, { 0, scale } };
        var wcs = new SkyWcs((0, 0), (ra, dec), cd);
        // The minimum box: the centre offset by half a ring plus the overlap towards N, E, S and W.
        double reach = _ringSize / 2 / Deg + Config.TractOverlapDegrees;
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int k = 0; k < 4; k++)
        {
            var (r2, d2) = Offset(ra, dec, 90.0 * k, reach);
            var (x, y) = wcs.SkyToPixel(r2, d2);
            (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
        }
        // Integer box holding every touched pixel (pixel i spans [i - 0.5, i + 0.5]), then whole patches about its centre.
        int bx0 = (int)Math.Floor(minX + 0.5), by0 = (int)Math.Floor(minY + 0.5);
        int width = (int)Math.Floor(maxX + 0.5) - bx0 + 1, height = (int)Math.Floor(maxY + 0.5) - by0 + 1;
        int inner = Config.PatchInner;
        int nx = (width + inner - 1) / inner, ny = (height + inner - 1) / inner;
        bx0 -= (nx * inner - width) / 2;
        by0 -= (ny * inner - height) / 2;
        var finalWcs = new SkyWcs((-bx0, -by0), (ra, dec), cd);
        return new TractInfo(id, (ra, dec), finalWcs, new Box2I(0, 0, nx * inner, ny * inner), nx, ny, inner, Config.PatchBorder);
    }

    /// <summary>The point <paramref name="distance"/> degrees from (ra, dec) along the great circle leaving it at
    /// <paramref name="bearing"/> degrees (0 towards the north, 90 towards the east).</summary>
    private static (double Ra, double Dec) Offset(double ra, double dec, double bearing, double distance)
    {
        var (sinD, cosD) = Math.SinCos(dec * Deg);
        var (sinR, cosR) = Math.SinCos(distance * Deg);
        var (sinB, cosB) = Math.SinCos(bearing * Deg);
        double sinDec2 = sinD * cosR + cosD * sinR * cosB;
        double dec2 = Math.Asin(Math.Clamp(sinDec2, -1, 1));
        double ra2 = ra * Deg + Math.Atan2(sinB * sinR * cosD, cosR - sinD * sinDec2);
        return ((ra2 / Deg % 360 + 360) % 360, dec2 / Deg);
    }
}
