using CommunityToolkit.HighPerformance;

namespace ImageCore.Simulation;

/// <summary>A simulated source: position in detector pixels (0-based, pixel centres at integers),
/// total flux in electrons, and Gaussian width (sigma, pixels; the PSF's for stars, wider for galaxies).</summary>
/// <param name="X">Column of the centre.</param>
/// <param name="Y">Row of the centre.</param>
/// <param name="FluxElectrons">Total flux, e-.</param>
/// <param name="SigmaPixels">Gaussian sigma, pixels.</param>
/// <param name="IsGalaxy">True for an extended source.</param>
internal readonly record struct SimulatedSource(double X, double Y, double FluxElectrons, double SigmaPixels, bool IsGalaxy);

/// <summary>A source fixed on the sky: every visit sees it at the same (RA, Dec) with the same flux.</summary>
/// <param name="Ra">Right ascension, degrees.</param>
/// <param name="Dec">Declination, degrees.</param>
/// <param name="FluxElectrons">Total flux collected in one exposure, e-.</param>
/// <param name="IntrinsicSigmaArcsec">Gaussian sigma of the source itself before the PSF, arcsec (0 for a star).</param>
/// <param name="IsGalaxy">True for an extended source.</param>
internal readonly record struct SkySource(double Ra, double Dec, double FluxElectrons, double IntrinsicSigmaArcsec, bool IsGalaxy);

/// <summary>
/// The noise-free expected image of a detector in electrons: a sky level plus seeded stars (the
/// visit's Gaussian PSF) and galaxies (wider Gaussians: the PSF convolved with the galaxy's own
/// profile), each pixel the integral of the source over the pixel (error functions), so the image
/// sums to the catalogue's flux.
/// </summary>
internal static class SkyScene
{
    /// <summary>A seeded catalogue: <paramref name="stars"/> stars with fluxes from a power law between
    /// 10^3 and 10^7 e- (the brightest saturate) and <paramref name="galaxies"/> galaxies.</summary>
    public static List<SimulatedSource> Catalog(int width, int height, int stars, int galaxies, double psfSigma, Noise noise)
    {
        var list = new List<SimulatedSource>(stars + galaxies);
        for (int i = 0; i < stars + galaxies; i++)
        {
            bool galaxy = i >= stars;
            double flux = 1e3 * Math.Pow(1e4, Math.Pow(noise.Uniform(), 2.5));   // many faint, few bright
            double sigma = galaxy ? Math.Sqrt(psfSigma * psfSigma + Math.Pow(1 + 3 * noise.Uniform(), 2)) : psfSigma;
            list.Add(new SimulatedSource(noise.Uniform() * (width - 1), noise.Uniform() * (height - 1), flux, sigma, galaxy));
        }
        return list;
    }

    /// <summary>
    /// A seeded catalogue fixed on the sky: sources uniform over the box <paramref name="xiEta"/> (degrees on the
    /// tangent plane at <paramref name="centre"/>) at <paramref name="starsPerSquareDegree"/> and
    /// <paramref name="galaxiesPerSquareDegree"/>, fluxes from the same power law as <see cref="Catalog"/>, galaxy
    /// sizes from 1 to 4 times <paramref name="galaxySizeUnitArcsec"/>.
    /// </summary>
    public static List<SkySource> SkyCatalog((double Ra, double Dec) centre, (double MinXi, double MinEta, double MaxXi, double MaxEta) xiEta,
        double starsPerSquareDegree, double galaxiesPerSquareDegree, double galaxySizeUnitArcsec, Noise noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        var plane = TangentPlane(centre);
        double area = (xiEta.MaxXi - xiEta.MinXi) * (xiEta.MaxEta - xiEta.MinEta);
        int stars = (int)Math.Round(starsPerSquareDegree * area), galaxies = (int)Math.Round(galaxiesPerSquareDegree * area);
        var list = new List<SkySource>(stars + galaxies);
        for (int i = 0; i < stars + galaxies; i++)
        {
            bool galaxy = i >= stars;
            double flux = 1e3 * Math.Pow(1e4, Math.Pow(noise.Uniform(), 2.5));
            double size = galaxy ? galaxySizeUnitArcsec * (1 + 3 * noise.Uniform()) : 0;
            double xi = xiEta.MinXi + noise.Uniform() * (xiEta.MaxXi - xiEta.MinXi);
            double eta = xiEta.MinEta + noise.Uniform() * (xiEta.MaxEta - xiEta.MinEta);
            var (ra, dec) = plane.PixelToSky(xi, eta);
            list.Add(new SkySource(ra, dec, flux, size, galaxy));
        }
        return list;
    }

    /// <summary>The tangent plane at <paramref name="centre"/> as a WCS whose "pixels" are degrees.</summary>
    internal static Astrometry.SkyWcs TangentPlane((double Ra, double Dec) centre) => new((0, 0), centre, new double[,] { { 1, 0 }, { 0, 1 } });

    /// <summary>The sources of <paramref name="sky"/> that land within <paramref name="margin"/> pixels of a
    /// <paramref name="width"/> x <paramref name="height"/> image with WCS <paramref name="wcs"/>, in its pixels:
    /// widths are the PSF (<paramref name="psfSigmaPixels"/>) and the source's own size added in quadrature.</summary>
    public static List<SimulatedSource> Project(IEnumerable<SkySource> sky, Astrometry.SkyWcs wcs, int width, int height,
        double pixelScaleArcsec, double psfSigmaPixels, double margin) =>
        Project(sky, wcs, width, height, pixelScaleArcsec, (_, _) => psfSigmaPixels, margin);

    /// <summary><see cref="Project(IEnumerable{SkySource}, Astrometry.SkyWcs, int, int, double, double, double)"/> with a
    /// PSF that varies over the image: <paramref name="psfSigmaAt"/> gives its sigma (pixels) at a source's pixel position.</summary>
    public static List<SimulatedSource> Project(IEnumerable<SkySource> sky, Astrometry.SkyWcs wcs, int width, int height,
        double pixelScaleArcsec, Func<double, double, double> psfSigmaAt, double margin)
    {
        ArgumentNullException.ThrowIfNull(psfSigmaAt);
        ArgumentNullException.ThrowIfNull(wcs);
        ArgumentNullException.ThrowIfNull(sky);
        // A cheap pre-selection on the sky (a circle around the image centre), then the exact projection.
        var (cra, cdec) = wcs.PixelToSky((width - 1) / 2.0, (height - 1) / 2.0);
        double radius = (0.5 * Math.Sqrt((double)width * width + (double)height * height) + margin) * pixelScaleArcsec / 3600 * 1.1;
        double cosRadius = Math.Cos(radius * Math.PI / 180);
        var (sd, cd) = Math.SinCos(cdec * Math.PI / 180);
        var list = new List<SimulatedSource>();
        foreach (var s in sky)
        {
            var (sdec, cdec2) = Math.SinCos(s.Dec * Math.PI / 180);
            double cosDistance = sd * sdec + cd * cdec2 * Math.Cos((s.Ra - cra) * Math.PI / 180);
            if (cosDistance < cosRadius) continue;
            var (x, y) = wcs.SkyToPixel(s.Ra, s.Dec);
            if (x < -margin || y < -margin || x > width - 1 + margin || y > height - 1 + margin) continue;
            double own = s.IntrinsicSigmaArcsec / pixelScaleArcsec, psf = psfSigmaAt(x, y);
            list.Add(new SimulatedSource(x, y, s.FluxElectrons, Math.Sqrt(psf * psf + own * own), s.IsGalaxy));
        }
        return list;
    }

    /// <summary>Fills <paramref name="image"/> with <paramref name="sky"/> e- per pixel plus the sources.</summary>
    public static void Render(Span2D<float> image, double sky, IEnumerable<SimulatedSource> sources)
    {
        image.Fill((float)sky);
        AddSources(image, sources);
    }

    /// <summary>Adds the sources to <paramref name="image"/>, each integrated over the pixels (error functions).</summary>
    public static void AddSources(Span2D<float> image, IEnumerable<SimulatedSource> sources)
    {
        int w = image.Width, h = image.Height;
        Span<double> columns = stackalloc double[512];   // source footprints are at most 512 columns wide
        foreach (var s in sources)
        {
            int r = (int)Math.Ceiling(6 * s.SigmaPixels);
            int x0 = Math.Max(0, (int)Math.Floor(s.X) - r), x1 = Math.Min(w - 1, (int)Math.Ceiling(s.X) + r);
            int y0 = Math.Max(0, (int)Math.Floor(s.Y) - r), y1 = Math.Min(h - 1, (int)Math.Ceiling(s.Y) + r);
            if (x0 > x1 || y0 > y1) continue;
            x1 = Math.Min(x1, x0 + columns.Length - 1);
            var fx = columns[..(x1 - x0 + 1)];
            for (int x = x0; x <= x1; x++) fx[x - x0] = PixelFraction(x, s.X, s.SigmaPixels);
            for (int y = y0; y <= y1; y++)
            {
                double fy = PixelFraction(y, s.Y, s.SigmaPixels) * s.FluxElectrons;
                var row = image.GetRowSpan(y);
                for (int x = x0; x <= x1; x++) row[x] += (float)(fy * fx[x - x0]);
            }
        }
    }

    /// <summary>The fraction of a 1-D Gaussian (centre <paramref name="centre"/>, width <paramref name="sigma"/>)
    /// that falls in pixel <paramref name="pixel"/> (which spans pixel-0.5 .. pixel+0.5).</summary>
    internal static double PixelFraction(int pixel, double centre, double sigma)
    {
        double k = 1 / (Math.Sqrt(2) * sigma);
        return 0.5 * (Erf((pixel + 0.5 - centre) * k) - Erf((pixel - 0.5 - centre) * k));
    }

    /// <summary>The error function (Abramowitz and Stegun 7.1.26, |error| &lt; 1.5e-7).</summary>
    internal static double Erf(double x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return x >= 0 ? y : -y;
    }
}
