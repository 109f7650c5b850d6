using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Psf;

/// <summary>
/// A PSF model as one FITS IMAGE extension, <c>EXTNAME = 'PSF'</c>, which an exposure file carries after its VARIANCE
/// plane and astropy opens as a cube (<c>fits.open(f)['PSF'].data</c>, shape (planes, size, size)); docs/psf.md
/// describes the convention. <c>PSFTYPE</c> says which model it is:
/// <list type="bullet">
/// <item><c>PIXELBASIS</c> (<see cref="PixelBasisPsf"/>): one float32 plane per basis image; <c>POLYORD</c> the spatial
/// order, <c>REGMINX</c>/<c>REGMINY</c>/<c>REGMAXX</c>/<c>REGMAXY</c> the region (parent pixels, inclusive),
/// <c>XPOWn</c>/<c>YPOWn</c> the powers of u and v of plane n (1-based); the kernel at (x, y) is
/// sum_n u^XPOWn v^YPOWn plane_n normalised to sum 1, with u, v as <see cref="PixelBasisPsf.Normalize(Box2I, double, double)"/>.</item>
/// <item><c>GAUSSIAN</c> (<see cref="GaussianPsf"/>): <c>SIGMA</c>; <c>DOUBLEGAUSSIAN</c> (<see cref="DoubleGaussianPsf"/>):
/// <c>SIGMA1</c>, <c>SIGMA2</c>, <c>B</c>. Their one plane is the kernel image, for viewers; the keywords define the
/// model.</item>
/// <item><c>COADD</c> (<see cref="CoaddPsf"/>): <c>NCOMP</c> components and the coadd's celestial WCS (<c>WCSNAME = 'COADD'</c>);
/// the one plane is the kernel at (<c>PSFREFX</c>, <c>PSFREFY</c>), for viewers. NCOMP IMAGE extensions follow it,
/// <c>EXTNAME = 'PSFCOMP'</c>, <c>EXTVER</c> 1..NCOMP: each a detector PSF in the form above plus <c>VISIT</c>,
/// <c>DETNAME</c>, <c>WEIGHT</c>, the valid region <c>VALMINX</c>/<c>VALMINY</c>/<c>VALMAXX</c>/<c>VALMAXY</c> (detector
/// pixels, inclusive) and the detector's celestial WCS (<c>WCSNAME = 'DETECTOR'</c>).</item>
/// </list>
/// Every type has <c>NAXIS1 = NAXIS2</c> = the kernel size (odd) and <c>PSFFWHM</c>, the FWHM at the region's centre
/// (informative).
/// </summary>
public static class PsfFits
{
    /// <summary>The extension's name.</summary>
    public const string ExtName = "PSF";

    /// <summary>The name of the extensions that hold a <see cref="CoaddPsf"/>'s components (EXTVER 1, 2, ...), which follow
    /// its <c>PSF</c> extension.</summary>
    public const string ComponentExtName = "PSFCOMP";

    /// <summary>The most components a <c>COADD</c> PSF extension may declare.</summary>
    public const int MaxComponents = 100_000;

    /// <summary>Writes <paramref name="psf"/> as the next HDU of <paramref name="writer"/> (an IMAGE extension, or the
    /// primary HDU of an empty writer).</summary>
    /// <param name="writer">An open writer.</param>
    /// <param name="psf">A <see cref="PixelBasisPsf"/>, <see cref="GaussianPsf"/> or <see cref="DoubleGaussianPsf"/>.</param>
    /// <param name="center">The position whose FWHM goes into <c>PSFFWHM</c> (a pixel-polynomial model's region centre
    /// when null; (0, 0) for the others).</param>
    /// <exception cref="NotSupportedException">Another <see cref="IPsf"/> implementation: it has no FITS form.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public static void Write(FitsWriter writer, IPsf psf, (double X, double Y)? center = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(psf);
        if (psf is CoaddPsf coadd)
        {
            WriteCoadd(writer, coadd, center);
            return;
        }
        WriteHdu(writer, psf, center, ExtName, null, null);
    }

    /// <summary>Writes one model's HDU named <paramref name="extName"/> (and <paramref name="extVer"/>), with the cards
    /// <paramref name="extra"/> adds before PSFFWHM.</summary>
    private static void WriteHdu(FitsWriter writer, IPsf psf, (double X, double Y)? center, string extName, int? extVer, Action<FitsHeader>? extra)
    {
        var h = new FitsHeader();
        h.Add(FitsCard.String("EXTNAME", extName, extVer is null ? "PSF model" : "a component of a coadd PSF"));
        if (extVer is { } v) h.Add(FitsCard.Integer("EXTVER", v, "component number (1-based)"));
        h.Add(FitsCard.String("EXTTYPE", extName, "ImageCore PSF model (docs/psf.md)"));
        int k = psf.KernelSize;
        float[] cube;
        (double X, double Y) at = center ?? (0, 0);
        switch (psf)
        {
            case PixelBasisPsf p:
                var r = p.Region;
                at = center ?? (r.MinX + (r.Width - 1) / 2.0, r.MinY + (r.Height - 1) / 2.0);
                h.Add(FitsCard.String("PSFTYPE", "PIXELBASIS", "pixel basis, polynomial in position"));
                h.Add(FitsCard.Integer("POLYORD", p.SpatialOrder, "spatial polynomial order"));
                h.Add(FitsCard.Integer("REGMINX", r.MinX, "region first column (u = -1), parent pixels"));
                h.Add(FitsCard.Integer("REGMINY", r.MinY, "region first row (v = -1), parent pixels"));
                h.Add(FitsCard.Integer("REGMAXX", r.MaxX, "region last column (u = +1), parent pixels"));
                h.Add(FitsCard.Integer("REGMAXY", r.MaxY, "region last row (v = +1), parent pixels"));
                for (int t = 0; t < p.Terms; t++)
                {
                    var (pu, qv) = PixelBasisPsf.Term(t);
                    h.Add(FitsCard.Integer($"XPOW{t + 1}", pu, $"plane {t + 1}: power of u"));
                    h.Add(FitsCard.Integer($"YPOW{t + 1}", qv, $"plane {t + 1}: power of v"));
                }
                h.AddCommentary("COMMENT", "kernel(x, y) = sum_n u^XPOWn v^YPOWn plane_n, normalised to sum 1");
                h.AddCommentary("COMMENT", "u = (x - (REGMINX + REGMAXX) / 2) / max((REGMAXX - REGMINX) / 2, 0.5)");
                h.AddCommentary("COMMENT", "v likewise with the Y keywords; u and v clamped to [-1, 1];");
                h.AddCommentary("COMMENT", "x, y: 0-based parent pixels. The PSF is centred on kernel pixel");
                h.AddCommentary("COMMENT", "(NAXIS1 // 2, NAXIS2 // 2), 0-based. See ImageCore's docs/psf.md.");
                cube = p.BasisCube.ToArray();
                break;
            case GaussianPsf g:
                h.Add(FitsCard.String("PSFTYPE", "GAUSSIAN", "exp(-r^2 / 2 SIGMA^2), sum 1"));
                h.Add(FitsCard.Real("SIGMA", g.Sigma, "pixels"));
                cube = KernelPlane(psf, at);
                break;
            case DoubleGaussianPsf d:
                h.Add(FitsCard.String("PSFTYPE", "DOUBLEGAUSSIAN", "G(SIGMA1) + B G(SIGMA2) at centre, sum 1"));
                h.Add(FitsCard.Real("SIGMA1", d.Sigma1, "inner sigma, pixels"));
                h.Add(FitsCard.Real("SIGMA2", d.Sigma2, "outer sigma, pixels"));
                h.Add(FitsCard.Real("B", d.B, "outer amplitude at the centre over the inner one's"));
                cube = KernelPlane(psf, at);
                break;
            default:
                throw new NotSupportedException($"{psf.GetType().Name} has no FITS form (PixelBasisPsf, GaussianPsf, DoubleGaussianPsf and CoaddPsf have)");
        }
        extra?.Invoke(h);
        h.Add(FitsCard.Real("PSFFWHM", psf.ComputeFwhm(at.X, at.Y), $"FWHM (pixels) at ({at.X:0.#}, {at.Y:0.#})"));
        int planes = cube.Length / (k * k);
        writer.WriteImage(h, new ReadOnlySpan2D<float>(cube, planes * k, k), new FitsImageOptions { Axes = [k, k, planes] });
    }

    /// <summary>The PSF of <paramref name="file"/>'s <c>PSF</c> extension, or null when it has none.</summary>
    /// <exception cref="FitsFormatException">The extension is malformed (the message names the keyword).</exception>
    public static IPsf? Read(FitsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var hdu = file.FindHdu(ExtName);
        return hdu is null ? null : Read(file, hdu);
    }

    /// <summary>The PSF stored in <paramref name="hdu"/>.</summary>
    /// <exception cref="FitsFormatException">Not a PSF extension of a known type, sizes that do not agree, a kernel size
    /// that is not odd, or parameters out of range or not finite (the message names the keyword).</exception>
    public static IPsf Read(FitsFile file, FitsHdu hdu)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(hdu);
        var h = hdu.Header;
        string type = h.GetString("PSFTYPE").Trim();
        if (hdu.Axes.Count != 3 || hdu.Axes[0] != hdu.Axes[1] || hdu.Axes[0] % 2 == 0 || hdu.Axes[0] > 1001 || hdu.Axes[2] < 1)
            throw Error(file, hdu, "NAXIS", $"a PSF is a cube of odd square planes (size <= 1001), not [{string.Join(", ", hdu.Axes)}]");
        int k = (int)hdu.Axes[0];
        try
        {
            switch (type)
            {
                case "GAUSSIAN":
                    return new GaussianPsf(k, Positive(file, hdu, "SIGMA"));
                case "DOUBLEGAUSSIAN":
                    double b = h.GetDouble("B");
                    if (!(b >= 0) || !double.IsFinite(b)) throw Error(file, hdu, "B", $"B = {b} must be finite and >= 0");
                    return new DoubleGaussianPsf(k, Positive(file, hdu, "SIGMA1"), Positive(file, hdu, "SIGMA2"), b);
                case "COADD":
                    return ReadCoadd(file, hdu);
                case "PIXELBASIS":
                    int order = h.GetInt32("POLYORD");
                    if (order is < 0 or > 10) throw Error(file, hdu, "POLYORD", $"spatial order {order} must be 0..10");
                    int terms = PixelBasisPsf.TermCount(order);
                    if (hdu.Axes[2] != terms) throw Error(file, hdu, "NAXIS3", $"spatial order {order} has {terms} planes, not {hdu.Axes[2]}");
                    for (int t = 0; t < terms; t++)
                    {
                        var (p, q) = PixelBasisPsf.Term(t);
                        if (h.GetInt32($"XPOW{t + 1}") != p || h.GetInt32($"YPOW{t + 1}") != q)
                            throw Error(file, hdu, $"XPOW{t + 1}", $"plane {t + 1} must be u^{p} v^{q} (XPOW{t + 1} = {p}, YPOW{t + 1} = {q})");
                    }
                    int minX = h.GetInt32("REGMINX"), minY = h.GetInt32("REGMINY"), maxX = h.GetInt32("REGMAXX"), maxY = h.GetInt32("REGMAXY");
                    if (maxX < minX || maxY < minY) throw Error(file, hdu, "REGMAXX", $"the region [{minX}..{maxX}, {minY}..{maxY}] is empty");
                    using (var plane = file.ReadImage<float>(hdu))
                    {
                        var cube = new float[terms * k * k];
                        plane.AsSpan2D().CopyTo(cube);
                        foreach (float v in cube)
                            if (!float.IsFinite(v)) throw Error(file, hdu, "PSFTYPE", "the basis holds a value that is not finite");
                        return new PixelBasisPsf(k, order, Box2I.FromCorners(minX, minY, maxX, maxY), cube);
                    }
                default:
                    throw Error(file, hdu, "PSFTYPE", $"unknown PSF type '{type}' (PIXELBASIS, GAUSSIAN, DOUBLEGAUSSIAN, COADD)");
            }
        }
        catch (ArgumentException e)
        {
            throw Error(file, hdu, "PSFTYPE", e.Message);
        }
    }

    /// <summary>A <see cref="CoaddPsf"/>: the <c>PSF</c> HDU (PSFTYPE 'COADD', NCOMP, the coadd's WCS, and the kernel at
    /// <paramref name="center"/> or the reference point as its plane), then one <c>PSFCOMP</c> HDU per component.</summary>
    private static void WriteCoadd(FitsWriter writer, CoaddPsf psf, (double X, double Y)? center)
    {
        var at = center ?? psf.ReferencePoint();
        var h = new FitsHeader();
        h.Add(FitsCard.String("EXTNAME", ExtName, "PSF model"));
        h.Add(FitsCard.String("EXTTYPE", ExtName, "ImageCore PSF model (docs/psf.md)"));
        h.Add(FitsCard.String("PSFTYPE", "COADD", "weighted mean of warped detector PSFs"));
        h.Add(FitsCard.Integer("NCOMP", psf.Components.Count, "components: the PSFCOMP HDUs that follow"));
        psf.CoaddWcs.WriteTo(h);
        h.Set("WCSNAME", "COADD", "the coadd's pixels, where the PSF is evaluated");
        h.AddCommentary("COMMENT", "kernel(x, y) = sum_i WEIGHT_i K_i(x, y) / sum_i WEIGHT_i over the");
        h.AddCommentary("COMMENT", "components i (PSFCOMP HDUs) whose region VALMINX..VALMAXY holds the");
        h.AddCommentary("COMMENT", "rounded detector pixel of (x, y), mapped through this WCS and theirs.");
        h.AddCommentary("COMMENT", "K_i: component i's PSF warped into this frame (the transform made");
        h.AddCommentary("COMMENT", "affine at (x, y), Lanczos-3). The plane is the kernel at (PSFREFX,");
        h.AddCommentary("COMMENT", "PSFREFY). The WCS cards give the coadd's frame, not the plane's.");
        h.Add(FitsCard.Real("PSFREFX", at.X, "column of the plane's kernel, coadd pixels"));
        h.Add(FitsCard.Real("PSFREFY", at.Y, "row of the plane's kernel, coadd pixels"));
        h.Add(FitsCard.Real("PSFFWHM", psf.ComputeFwhm(at.X, at.Y), $"FWHM (pixels) at ({at.X:0.#}, {at.Y:0.#})"));
        int k = psf.KernelSize;
        writer.WriteImage(h, new ReadOnlySpan2D<float>(KernelPlane(psf, at), k, k), new FitsImageOptions { Axes = [k, k, 1] });
        for (int i = 0; i < psf.Components.Count; i++)
        {
            var c = psf.Components[i];
            if (c.Psf is CoaddPsf) throw new NotSupportedException($"component {i + 1} ({c}) is itself a coadd PSF");
            WriteHdu(writer, c.Psf, null, ComponentExtName, i + 1, ch =>
            {
                ch.Add(FitsCard.Integer("VISIT", c.Visit, "the component's visit"));
                ch.Add(FitsCard.String("DETNAME", c.Detector, "its detector"));
                ch.Add(FitsCard.Real("WEIGHT", c.Weight, "its weight in the coadd PSF"));
                ch.Add(FitsCard.Integer("VALMINX", c.ValidRegion.MinX, "valid region first column, detector pixels"));
                ch.Add(FitsCard.Integer("VALMINY", c.ValidRegion.MinY, "valid region first row, detector pixels"));
                ch.Add(FitsCard.Integer("VALMAXX", c.ValidRegion.MaxX, "valid region last column, detector pixels"));
                ch.Add(FitsCard.Integer("VALMAXY", c.ValidRegion.MaxY, "valid region last row, detector pixels"));
                c.Wcs.WriteTo(ch);
                ch.Set("WCSNAME", "DETECTOR", "the detector's pixels, where this PSF is defined");
                ch.AddCommentary("COMMENT", "The WCS cards give the detector's frame, not the kernel planes'.");
            });
        }
    }

    /// <summary>Reads a <c>COADD</c> PSF extension and the NCOMP <c>PSFCOMP</c> extensions right after it.</summary>
    private static CoaddPsf ReadCoadd(FitsFile file, FitsHdu hdu)
    {
        int n = hdu.Header.GetInt32("NCOMP");
        if (n is < 1 or > MaxComponents) throw Error(file, hdu, "NCOMP", $"NCOMP = {n} must be 1..{MaxComponents}");
        var coaddWcs = SkyWcs.FromHeader(hdu.Header);
        var components = new List<CoaddPsfComponent>(n);
        for (int i = 1; i <= n; i++)
        {
            var c = file.FindHdu(hdu.Index + i);
            if (c is null || !string.Equals(c.ExtName?.TrimEnd(), ComponentExtName, StringComparison.OrdinalIgnoreCase) || c.ExtVer != i)
                throw Error(file, hdu, "NCOMP", $"component {i} of {n} must be HDU {hdu.Index + i} with EXTNAME '{ComponentExtName}' and EXTVER {i}, "
                                                + (c is null ? "but the file ends before it" : $"not {c}"));
            var h = c.Header;
            if (h.GetString("PSFTYPE").Trim() == "COADD") throw Error(file, c, "PSFTYPE", "a component of a coadd PSF cannot itself be a coadd PSF");
            var psf = Read(file, c);
            int minX = h.GetInt32("VALMINX"), minY = h.GetInt32("VALMINY"), maxX = h.GetInt32("VALMAXX"), maxY = h.GetInt32("VALMAXY");
            if (maxX < minX || maxY < minY) throw Error(file, c, "VALMAXX", $"the valid region [{minX}..{maxX}, {minY}..{maxY}] is empty");
            components.Add(new CoaddPsfComponent(psf, SkyWcs.FromHeader(h), Box2I.FromCorners(minX, minY, maxX, maxY), Positive(file, c, "WEIGHT"),
                                                 h.GetInt32("VISIT"), h.GetString("DETNAME").Trim()));
        }
        return new CoaddPsf(components, coaddWcs);
    }

    private static float[] KernelPlane(IPsf psf, (double X, double Y) at)
    {
        var plane = new float[psf.KernelSize * psf.KernelSize];
        psf.ComputeKernelImage(at.X, at.Y, new Span2D<float>(plane, psf.KernelSize, psf.KernelSize));
        return plane;
    }

    private static double Positive(FitsFile file, FitsHdu hdu, string keyword)
    {
        double v = hdu.Header.GetDouble(keyword);
        if (!(v > 0) || !double.IsFinite(v)) throw Error(file, hdu, keyword, $"{keyword} = {v} must be finite and > 0");
        return v;
    }

    private static FitsFormatException Error(FitsFile file, FitsHdu hdu, string keyword, string problem) => new(file.Name, hdu.Index, -1, keyword, problem);
}
