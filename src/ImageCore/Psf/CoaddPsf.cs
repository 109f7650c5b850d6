using System.Buffers;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Geometry;

namespace ImageCore.Psf;

/// <summary>One input of a <see cref="CoaddPsf"/>: a detector of a visit, its PSF and WCS, where its pixels are valid,
/// and its weight.</summary>
/// <param name="Psf">The detector's PSF, detector parent pixels (a <see cref="GaussianPsf"/>, <see cref="DoubleGaussianPsf"/>
/// or <see cref="PixelBasisPsf"/> to be written to FITS).</param>
/// <param name="Wcs">The detector's WCS, parent pixels.</param>
/// <param name="ValidRegion">The detector's valid pixels (its box), parent pixels, inclusive.</param>
/// <param name="Weight">Its weight in the combination, finite and &gt; 0.</param>
/// <param name="Visit">The visit.</param>
/// <param name="Detector">The detector's name (DETNAME).</param>
public sealed record CoaddPsfComponent(IPsf Psf, SkyWcs Wcs, Box2I ValidRegion, double Weight, int Visit, string Detector)
{
    /// <inheritdoc/>
    public override string ToString() => $"visit {Visit} {Detector} (weight {Weight:G6}, {ValidRegion})";
}

/// <summary>No component of a <see cref="CoaddPsf"/> covers the point asked for.</summary>
public sealed class CoaddPsfCoverageException(double x, double y, int components)
    : InvalidOperationException($"no input of the coadd PSF ({components} detector{(components == 1 ? "" : "s")}) covers pixel ({x:0.###}, {y:0.###})")
{
    /// <summary>The column asked for, coadd pixels.</summary>
    public double X { get; } = x;

    /// <summary>The row asked for, coadd pixels.</summary>
    public double Y { get; } = y;
}

/// <summary>
/// The PSF of a warp or coadd (meas_algorithms' CoaddPsf): at a point of the coadd, the weighted mean of the PSFs of the
/// input detectors whose valid region contains it, each seen in the coadd's pixels (<see cref="WarpedPsf"/>):
/// K(p) = sum_i w_i K_i(p) / sum_i w_i over the components i covering p, the kernels of different sizes centred on one
/// centre pixel (<see cref="KernelSize"/> is the largest). A component covers p when p's position in its detector,
/// rounded to the nearest pixel, lies in its <see cref="CoaddPsfComponent.ValidRegion"/>. At a point no component
/// covers, evaluation throws <see cref="CoaddPsfCoverageException"/>, as afw's does.
/// <para>Immutable and thread-safe. Evaluation allocates nothing (scratch from <see cref="ArrayPool{T}.Shared"/>), and
/// tests each component's box in coadd pixels before its WCS.</para>
/// </summary>
public sealed class CoaddPsf : IPsf
{
    private readonly CoaddPsfComponent[] _components;
    private readonly WarpedPsf[] _warped;
    private readonly Box2I[] _boxes;

    /// <summary>The PSF of a coadd with WCS <paramref name="coaddWcs"/> made from <paramref name="components"/>.</summary>
    /// <exception cref="ArgumentException">No components, a weight not finite and &gt; 0, an empty region, or a component
    /// that cannot be warped into the coadd's frame (<see cref="WarpedPsf"/>).</exception>
    public CoaddPsf(IEnumerable<CoaddPsfComponent> components, SkyWcs coaddWcs)
    {
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(coaddWcs);
        _components = [.. components];
        if (_components.Length == 0) throw new ArgumentException("a coadd PSF needs at least one component", nameof(components));
        CoaddWcs = coaddWcs;
        _warped = new WarpedPsf[_components.Length];
        _boxes = new Box2I[_components.Length];
        int size = 1;
        for (int i = 0; i < _components.Length; i++)
        {
            var c = _components[i] ?? throw new ArgumentException($"component {i} is null", nameof(components));
            ArgumentNullException.ThrowIfNull(c.Psf);
            ArgumentNullException.ThrowIfNull(c.Wcs);
            if (!(c.Weight > 0) || !double.IsFinite(c.Weight)) throw new ArgumentException($"component {c}: the weight must be finite and > 0", nameof(components));
            if (c.Psf is CoaddPsf) throw new ArgumentException($"component {c}: a component's PSF is a detector's, not a coadd's (use Combine)", nameof(components));
            _warped[i] = new WarpedPsf(c.Psf, c.Wcs, coaddWcs, c.ValidRegion);
            _boxes[i] = MappedBox(_warped[i], c.ValidRegion);
            size = Math.Max(size, _warped[i].KernelSize);
        }
        KernelSize = size;
    }

    /// <summary>The coadd's (or warp's) WCS, in whose pixels the PSF is evaluated.</summary>
    public SkyWcs CoaddWcs { get; }

    /// <summary>The components, in the order given.</summary>
    public IReadOnlyList<CoaddPsfComponent> Components => _components;

    /// <summary>Component <paramref name="index"/>'s PSF seen in the coadd's pixels.</summary>
    public WarpedPsf GetWarpedPsf(int index) => _warped[index];

    /// <summary>The bounding box, in coadd pixels, of component <paramref name="index"/>'s valid region (its edge mapped
    /// through the WCSs, 16 points a side, grown to whole pixels); it may reach outside the coadd.</summary>
    public Box2I GetCoaddBox(int index) => _boxes[index];

    /// <summary>Whether component <paramref name="index"/> covers coadd pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public bool Covers(int index, double x, double y)
    {
        var (ra, dec) = CoaddWcs.PixelToSky(x, y);
        return Covers(index, x, y, ra, dec);
    }

    private bool Covers(int index, double x, double y, double ra, double dec)
    {
        var box = _boxes[index];
        if (!(x >= box.MinX - 1 && x <= box.MaxX + 1 && y >= box.MinY - 1 && y <= box.MaxY + 1)) return false;
        var (sx, sy) = _components[index].Wcs.SkyToPixel(ra, dec);
        if (!double.IsFinite(sx) || !double.IsFinite(sy)) return false;
        var r = _components[index].ValidRegion;
        double rx = Math.Round(sx), ry = Math.Round(sy);
        return rx >= r.MinX && rx <= r.MaxX && ry >= r.MinY && ry <= r.MaxY;
    }

    /// <inheritdoc/>
    public int KernelSize { get; }

    /// <summary>The same PSF for the coadd's WCS <paramref name="coaddWcs"/> (a cropped coadd's, whose pixel origin moved).</summary>
    public CoaddPsf WithCoaddWcs(SkyWcs coaddWcs) => new(_components, coaddWcs);

    /// <summary>The union of the components of <paramref name="inputs"/> (warps' PSFs), each component's weight
    /// multiplied by its input's weight, for a coadd with WCS <paramref name="coaddWcs"/>; inputs of weight 0 (skipped)
    /// are left out (a coadd's CoaddInputs: visits weighted by their warp's coadd weight, as afw's).</summary>
    /// <exception cref="ArgumentException">No input has a weight &gt; 0, or a weight is negative or not finite.</exception>
    public static CoaddPsf Combine(IEnumerable<(CoaddPsf Psf, double Weight)> inputs, SkyWcs coaddWcs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var all = new List<CoaddPsfComponent>();
        foreach (var (psf, weight) in inputs)
        {
            ArgumentNullException.ThrowIfNull(psf);
            if (!(weight >= 0) || !double.IsFinite(weight)) throw new ArgumentException($"an input weight {weight} is negative or not finite", nameof(inputs));
            if (weight == 0) continue;
            foreach (var c in psf.Components) all.Add(c with { Weight = c.Weight * weight });
        }
        if (all.Count == 0) throw new ArgumentException("no input of the coadd PSF has a weight > 0", nameof(inputs));
        return new CoaddPsf(all, coaddWcs);
    }

    /// <inheritdoc/>
    /// <exception cref="CoaddPsfCoverageException">No component covers the point.</exception>
    public void ComputeKernelImage(double x, double y, Span2D<float> destination)
    {
        PsfExtensions.CheckKernelSize(destination, KernelSize);
        int k = KernelSize, c = k / 2;
        var (ra, dec) = CoaddWcs.PixelToSky(x, y);
        double[] sum = ArrayPool<double>.Shared.Rent(k * k);
        float[] one = ArrayPool<float>.Shared.Rent(k * k);
        try
        {
            Array.Clear(sum, 0, k * k);
            double weights = 0;
            for (int i = 0; i < _components.Length; i++)
            {
                if (!Covers(i, x, y, ra, dec)) continue;
                int ki = _warped[i].KernelSize, off = c - ki / 2;
                var kernel = new Span2D<float>(one, 0, ki, ki, 0);
                _warped[i].ComputeKernelImage(x, y, kernel);
                double w = _components[i].Weight;
                for (int r = 0; r < ki; r++)
                {
                    var src = kernel.GetRowSpan(r);
                    var dst = sum.AsSpan((r + off) * k + off, ki);
                    for (int j = 0; j < ki; j++) dst[j] += w * src[j];
                }
                weights += w;
            }
            if (weights == 0) throw new CoaddPsfCoverageException(x, y, _components.Length);
            for (int r = 0; r < k; r++)
            {
                var row = destination.GetRowSpan(r);
                for (int j = 0; j < k; j++) row[j] = (float)(sum[r * k + j] / weights);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(sum);
            ArrayPool<float>.Shared.Return(one);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Adaptive moments of the kernel image (<see cref="PsfExtensions.KernelImageMoments(ReadOnlySpan2D{float})"/>), as afw's computeShape.</remarks>
    /// <exception cref="CoaddPsfCoverageException">No component covers the point.</exception>
    public PsfMoments ComputeMoments(double x, double y) => PsfExtensions.KernelImageMoments(this, x, y);

    /// <inheritdoc/>
    /// <remarks>The weighted mean of the covering components' FWHMs (<see cref="WarpedPsf.ComputeFwhm"/>): exact when they
    /// agree, and an approximation of the mixture's width otherwise.</remarks>
    /// <exception cref="CoaddPsfCoverageException">No component covers the point.</exception>
    public double ComputeFwhm(double x, double y)
    {
        var (ra, dec) = CoaddWcs.PixelToSky(x, y);
        double sum = 0, weights = 0;
        for (int i = 0; i < _components.Length; i++)
        {
            if (!Covers(i, x, y, ra, dec)) continue;
            sum += _components[i].Weight * _warped[i].ComputeFwhm(x, y);
            weights += _components[i].Weight;
        }
        if (weights == 0) throw new CoaddPsfCoverageException(x, y, _components.Length);
        return sum / weights;
    }

    /// <summary>A point some component covers: the centre of the first component's region, in coadd pixels.</summary>
    public (double X, double Y) ReferencePoint()
    {
        var r = _components[0].ValidRegion;
        var (x, y) = _warped[0].ToDestination((r.MinX + r.MaxX) / 2.0, (r.MinY + r.MaxY) / 2.0);
        return (Math.Round(x, 3), Math.Round(y, 3));
    }

    /// <inheritdoc/>
    public override string ToString() => $"CoaddPsf({_components.Length} components, {KernelSize}x{KernelSize})";

    private static Box2I MappedBox(WarpedPsf warped, Box2I region)
    {
        const int PerSide = 16;
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int s = 0; s <= PerSide; s++)
        {
            double f = (double)s / PerSide;
            double ex = region.MinX - 0.5 + f * region.Width, ey = region.MinY - 0.5 + f * region.Height;
            foreach (var (px, py) in (ReadOnlySpan<(double, double)>)[(ex, region.MinY - 0.5), (ex, region.MaxY + 0.5), (region.MinX - 0.5, ey), (region.MaxX + 0.5, ey)])
            {
                var (x, y) = warped.ToDestination(px, py);
                if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
                (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
            }
        }
        if (!double.IsFinite(minX)) return new Box2I(0, 0, 0, 0);
        return Box2I.FromCorners((int)Math.Floor(minX), (int)Math.Floor(minY), (int)Math.Ceiling(maxX), (int)Math.Ceiling(maxY));
    }
}
