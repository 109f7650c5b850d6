using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Camera;

namespace ImageCore.Simulation;

/// <summary>A satellite trail on the sky: the great circle from (Ra0, Dec0) to (Ra1, Dec1), degrees.</summary>
internal sealed record TrailOnSky(double Ra0, double Dec0, double Ra1, double Dec1);

/// <summary>One visit's transients on the sky; <see cref="Landings"/> collects where they fall on each detector.</summary>
internal sealed class VisitTransients
{
    public required int Visit { get; init; }
    public required IReadOnlyList<TrailOnSky> Trails { get; init; }
    public required (double Ra, double Dec) Asteroid { get; init; }
    public required double AsteroidFlux { get; init; }
    public required (double Ra, double Dec) Variable { get; init; }
    public required double VariableFlux { get; init; }

    /// <summary>Per detector the transients landed on: its name and a JSON description (pixel positions).</summary>
    public List<(string Detector, JsonObject Where)> Landings { get; } = [];
}

/// <summary>
/// Satellite trails, an asteroid and a variable star for <see cref="Simulator"/> (<see cref="TransientConfig"/>):
/// planned on the sky once per run from the visits' own seeds, then drawn into each detector's expected image through
/// that detector's WCS, so that they land consistently on every detector and visit.
/// </summary>
internal static class Transients
{
    /// <summary>The transients of every visit. The variable star sits at pixel (0.7 w, 0.6 h) of the first detector in
    /// visit 0, the asteroid starts at (0.3 w, 0.4 h) and moves <see cref="TransientConfig.AsteroidArcsecPerVisit"/> per
    /// visit in a seeded direction; a visit's trail passes through a seeded pixel of the first detector in that visit,
    /// at a seeded angle, <see cref="TransientConfig.TrailLengthDegrees"/> long.</summary>
    public static VisitTransients[] Plan(TransientConfig config, CameraModel cam, Detector first, IReadOnlyList<Pointing> pointings, Func<int, Noise> visitNoise, Noise runNoise)
    {
        int w = first.BBox.Width, h = first.BBox.Height;
        var wcs0 = Optics.DetectorWcs(pointings[0], cam, first);
        var variable = wcs0.PixelToSky(0.7 * (w - 1), 0.6 * (h - 1));
        var start = wcs0.PixelToSky(0.3 * (w - 1), 0.4 * (h - 1));
        var startPlane = SkyScene.TangentPlane(start);
        double direction = 2 * Math.PI * runNoise.Uniform(), phase = 2 * Math.PI * runNoise.Uniform();
        var result = new VisitTransients[pointings.Count];
        for (int v = 0; v < pointings.Count; v++)
        {
            var noise = visitNoise(v);
            var trails = new List<TrailOnSky>();
            if (noise.Uniform() < config.TrailProbability)
            {
                var through = Optics.DetectorWcs(pointings[v], cam, first).PixelToSky((0.2 + 0.6 * noise.Uniform()) * (w - 1), (0.2 + 0.6 * noise.Uniform()) * (h - 1));
                double angle = Math.PI * noise.Uniform(), half = config.TrailLengthDegrees / 2;
                var plane = SkyScene.TangentPlane(through);
                var a = plane.PixelToSky(-half * Math.Cos(angle), -half * Math.Sin(angle));
                var b = plane.PixelToSky(half * Math.Cos(angle), half * Math.Sin(angle));
                trails.Add(new TrailOnSky(a.Ra, a.Dec, b.Ra, b.Dec));
            }
            double step = v * config.AsteroidArcsecPerVisit / 3600;
            result[v] = new VisitTransients
            {
                Visit = v,
                Trails = trails,
                Asteroid = startPlane.PixelToSky(step * Math.Cos(direction), step * Math.Sin(direction)),
                AsteroidFlux = config.AsteroidElectrons,
                Variable = variable,
                VariableFlux = config.VariableMeanElectrons * (1 + config.VariableAmplitude * Math.Sin(2 * Math.PI * v / config.VariablePeriodVisits + phase)),
            };
        }
        return result;
    }

    /// <summary>Adds the visit's transients that fall on a detector (<paramref name="wcs"/>) to its expected image (e-),
    /// and records where they landed. Trails: through the endpoints' pixel positions (a great circle is a straight line
    /// in the gnomonic projection), a Gaussian profile across them of sigma sqrt(psf^2 + (width / 2.3548)^2), holding
    /// <see cref="TransientConfig.TrailElectronsPerArcsec"/> per arcsec of length. Point sources: the PSF, integrated
    /// over each pixel.</summary>
    public static void Render(Span2D<float> image, VisitTransients visit, TransientConfig config, string detector, SkyWcs wcs, double pixelScaleArcsec,
                              Func<double, double, double> psfSigmaAt)
    {
        int w = image.Width, h = image.Height;
        var where = new JsonObject();
        var trails = new JsonArray();
        foreach (var trail in visit.Trails)
        {
            var (x0, y0) = wcs.SkyToPixel(trail.Ra0, trail.Dec0);
            var (x1, y1) = wcs.SkyToPixel(trail.Ra1, trail.Dec1);
            var (cx, cy) = ClosestPointToCentre(x0, y0, x1, y1, (w - 1) / 2.0, (h - 1) / 2.0);
            double psf = psfSigmaAt(Math.Clamp(cx, 0, w - 1), Math.Clamp(cy, 0, h - 1));
            double own = config.TrailWidthArcsec / SeeingField.FwhmPerSigma / pixelScaleArcsec;
            double sigma = Math.Sqrt(psf * psf + own * own);
            double perPixel = config.TrailElectronsPerArcsec * pixelScaleArcsec;   // e- per pixel of length
            if (!DrawTrail(image, x0, y0, x1, y1, sigma, perPixel)) continue;
            trails.Add((JsonNode)new JsonObject { ["x0"] = x0, ["y0"] = y0, ["x1"] = x1, ["y1"] = y1, ["sigmaPixels"] = sigma, ["electronsPerPixel"] = perPixel });
        }
        if (trails.Count > 0) where["trails"] = trails;
        foreach (var (name, (ra, dec), flux) in new[] { ("asteroid", visit.Asteroid, visit.AsteroidFlux), ("variable", visit.Variable, visit.VariableFlux) })
        {
            var (x, y) = wcs.SkyToPixel(ra, dec);
            if (x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5) continue;
            double sigma = psfSigmaAt(x, y);
            SkyScene.AddSources(image, [new SimulatedSource(x, y, flux, sigma, IsGalaxy: false)]);
            where[name] = new JsonObject { ["x"] = x, ["y"] = y, ["sigmaPixels"] = sigma };
        }
        if (where.Count > 0) visit.Landings.Add((detector, where));
    }

    /// <summary>Adds a trail along the segment (x0, y0)-(x1, y1); false when it misses the image.</summary>
    private static bool DrawTrail(Span2D<float> image, double x0, double y0, double x1, double y1, double sigma, double perPixel)
    {
        double dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
        if (!(length2 > 0)) return false;
        double reach = 6 * sigma, norm = perPixel / (Math.Sqrt(2 * Math.PI) * sigma), length = Math.Sqrt(length2);
        if (Math.Max(x0, x1) < -reach || Math.Min(x0, x1) > image.Width - 1 + reach || Math.Max(y0, y1) < -reach || Math.Min(y0, y1) > image.Height - 1 + reach)
            return false;
        bool any = false;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.GetRowSpan(y);
            int first = 0, last = row.Length - 1;
            if (Math.Abs(dy) > 1e-9)
            {
                // Pixels of this row within reach of the line lie within reach * length / |dy| of where it crosses the row.
                double xc = x0 + (y - y0) * dx / dy, half = reach * length / Math.Abs(dy);
                first = (int)Math.Max(0, Math.Floor(xc - half));
                last = (int)Math.Min(row.Length - 1, Math.Ceiling(xc + half));
            }
            for (int x = first; x <= last; x++)
            {
                double t = Math.Clamp(((x - x0) * dx + (y - y0) * dy) / length2, 0, 1);
                double ex = x - (x0 + t * dx), ey = y - (y0 + t * dy), d2 = ex * ex + ey * ey;
                if (d2 > reach * reach) continue;
                row[x] += (float)(norm * Math.Exp(-d2 / (2 * sigma * sigma)));
                any = true;
            }
        }
        return any;
    }

    private static (double X, double Y) ClosestPointToCentre(double x0, double y0, double x1, double y1, double cx, double cy)
    {
        double dx = x1 - x0, dy = y1 - y0, length2 = dx * dx + dy * dy;
        double t = length2 > 0 ? Math.Clamp(((cx - x0) * dx + (cy - y0) * dy) / length2, 0, 1) : 0;
        return (x0 + t * dx, y0 + t * dy);
    }

    /// <summary><c>truth/transients.json</c>'s content.</summary>
    public static JsonObject Truth(IReadOnlyList<VisitTransients> visits, TransientConfig config) => new()
    {
        ["description"] = "Simulated transients per visit, on the sky (ICRS degrees) and where they landed in each detector's pixels "
                          + "(0-based, pixel centres at integers, as the raw's WCS). trails: great circles from (ra0, dec0) to (ra1, dec1), "
                          + "widthArcsec the satellite's own FWHM (the PSF widens it; sigmaPixels per detector is the result), "
                          + "electronsPerArcsec along the trail. asteroid and variable: point sources through the PSF, flux in e- per exposure.",
        ["visits"] = new JsonArray([.. visits.Select(v => (JsonNode)new JsonObject
        {
            ["visit"] = v.Visit,
            ["trails"] = new JsonArray([.. v.Trails.Select(t => (JsonNode)new JsonObject
            {
                ["ra0"] = t.Ra0, ["dec0"] = t.Dec0, ["ra1"] = t.Ra1, ["dec1"] = t.Dec1,
                ["widthArcsec"] = config.TrailWidthArcsec, ["electronsPerArcsec"] = config.TrailElectronsPerArcsec,
            })]),
            ["asteroid"] = new JsonObject { ["ra"] = v.Asteroid.Ra, ["dec"] = v.Asteroid.Dec, ["fluxElectrons"] = v.AsteroidFlux },
            ["variable"] = new JsonObject { ["ra"] = v.Variable.Ra, ["dec"] = v.Variable.Dec, ["fluxElectrons"] = v.VariableFlux },
            ["detectors"] = new JsonObject([.. v.Landings.Select(l => KeyValuePair.Create(l.Detector, (JsonNode?)l.Where))]),
        })]),
    };
}
