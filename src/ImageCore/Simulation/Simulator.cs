using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Simulation;

/// <summary>The files one simulation wrote.</summary>
/// <param name="Raws">Raw files, one per (visit, detector).</param>
/// <param name="Calibrations">Master bias, dark and flat exposures and amplifier tables.</param>
/// <param name="Truth">Expected images, catalogues and visit descriptions.</param>
public sealed record SimulationResult(IReadOnlyList<string> Raws, IReadOnlyList<string> Calibrations, IReadOnlyList<string> Truth);

/// <summary>
/// Writes a small repository of LSSTCam-like data, deterministic for a seed:
/// <c>raw/VVVVVV/DET.fits</c> (16 int32 segments), <c>calib/bias|dark/DET.fits</c> and
/// <c>calib/flat/BAND/DET.fits</c> (afw-layout exposures, electrons; the dark per second),
/// <c>calib/amps/DET.json</c> (gain, read noise, saturation per amplifier), and the truth:
/// <c>truth/catalog.csv</c> (the field's sources, fixed on the sky: every visit sees the same ones),
/// <c>truth/VVVVVV/DET.fits</c> (noise-free expected post-ISR image, e-), <c>DET.catalog.csv</c> (the sources in its pixels),
/// <c>DET.cosmics.fits</c>,
/// <c>visit.json</c> (pointing and PSF), and with <see cref="SimulationConfig.Transients"/> <c>truth/transients.json</c>
/// (satellite trails, an asteroid and a variable star, in the expected images and so in the raws). Content: sky, stars and galaxies through the visit's Gaussian
/// PSF (round; its width may vary across the focal plane, <see cref="SimulationConfig.SeeingGradient"/>), flat response (focal-plane vignetting and pixel response), dark current with hot pixels, a
/// 2-D bias pattern, per-amplifier bias levels, row-correlated overscan noise, Poisson and read noise,
/// gain, saturation with bleed trails along columns, hot columns (listed in <c>calib/defects/DET.json</c>),
/// cosmic rays (their pixels in <c>truth/VVVVVV/DET.cosmics.fits</c>). crosstalk within each row of segments (<c>calib/crosstalk/DET.json</c>), a mild quadratic
/// non-linearity per amplifier (<c>calib/linearity/DET.json</c>). Raws and calibrations are placed by
/// <see cref="InputLayout"/>, the layout the pipeline reads; the truth is the simulator's own.
/// </summary>
public static class Simulator
{
    /// <summary>Focal-plane radius at which the simulated vignetting reaches its full depth, mm.</summary>
    private const double VignettingRadiusMm = 320;

    /// <summary>The detectors named by <paramref name="spec"/>: "all", a raft ("R22"), or names separated by commas.</summary>
    /// <exception cref="ArgumentException">An unknown raft or detector.</exception>
    public static IReadOnlyList<Detector> SelectDetectors(CameraModel camera, string spec)
    {
        if (spec == "all") return camera.Detectors;
        var result = new List<Detector>();
        foreach (string part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Length == 3 && part[0] == 'R')
            {
                var raft = camera.Detectors.Where(d => d.Raft == part).ToList();
                if (raft.Count == 0) throw new ArgumentException($"--detectors: {camera.Name} has no raft '{part}'");
                result.AddRange(raft);
            }
            else
            {
                try { result.Add(camera[part]); }
                catch (KeyNotFoundException) { throw new ArgumentException($"--detectors: {camera.Name} has no detector '{part}'"); }
            }
        }
        if (result.Count == 0) throw new ArgumentException("--detectors names no detector");
        return result.DistinctBy(d => d.Id).ToList();
    }

    /// <summary>Where visit <paramref name="visit"/> of <paramref name="config"/> points (dithered about the field's centre)
    /// and its seeing (FWHM at the boresight, and the gradient's direction): drawn from the visit's own seed, so a plan
    /// without pixels (<c>QuantumGraphPlanner.PlanSimulated</c>) gets the pointings the raws would have.</summary>
    internal static (Pointing Pointing, SeeingField Seeing) VisitConditions(SimulationConfig config, int visit)
    {
        var v = new Noise(Seed(config.Seed, visit, -1, 1));
        double dec = config.Field.Dec + config.DitherDegrees * (2 * v.Uniform() - 1);
        double ra = config.Field.Ra + config.DitherDegrees * (2 * v.Uniform() - 1) / Math.Cos(dec * Math.PI / 180);
        var pointing = new Pointing((ra % 360 + 360) % 360, dec, 360 * v.Uniform());
        double fwhm = config.MedianSeeingFwhmArcsec * (0.8 + 0.4 * v.Uniform());
        return (pointing, new SeeingField(fwhm, config.SeeingGradient, 360 * v.Uniform()));
    }

    /// <summary>Writes the repository under <paramref name="outDir"/>.</summary>
    /// <exception cref="ArgumentException">Bad configuration.</exception>
    /// <exception cref="IOException">Writing failed (no partial file is left under a final name).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked before each detector
    /// and each visit); files finished so far stay, none is half-written.</exception>
    /// <example><code>
    /// var result = Simulator.Run("data", new SimulationConfig { Visits = 2, Detectors = "R22_S11", Scale = 8 });
    /// Console.WriteLine($"{result.Raws.Count} raws");
    /// </code></example>
    public static SimulationResult Run(string outDir, SimulationConfig config, CameraModel? camera = null, IProgress<string>? progress = null,
                                       CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var cam = (camera ?? CameraModel.LsstCam).Scaled(config.Scale);
        var detectors = SelectDetectors(cam, config.Detectors);
        var raws = new List<string>();
        var calibs = new List<string>();
        var truths = new List<string>();
        double s2 = config.Scale * (double)config.Scale;

        var pointings = new Pointing[config.Visits];
        var seeings = new SeeingField[config.Visits];
        for (int visit = 0; visit < config.Visits; visit++)
            (pointings[visit], seeings[visit]) = VisitConditions(config, visit);
        var sky = SkyCatalog(cam, detectors, pointings, config);
        var transients = config.Transients is { } tc
            ? Transients.Plan(tc, cam, detectors[0], pointings, v => new Noise(Seed(config.Seed, v, -1, 7)), new Noise(Seed(config.Seed, -1, -1, 8)))
            : null;
        Directory.CreateDirectory(Path.Combine(outDir, "truth"));
        string skyCatalogPath = Path.Combine(outDir, "truth", "catalog.csv");
        WriteAtomically(skyCatalogPath, "ra,dec,flux_electrons,intrinsic_sigma_arcsec,galaxy\n" + string.Concat(sky.Select(c =>
            string.Create(CultureInfo.InvariantCulture, $"{c.Ra:R},{c.Dec:R},{c.FluxElectrons:R},{c.IntrinsicSigmaArcsec:R},{(c.IsGalaxy ? 1 : 0)}\n"))));
        truths.Add(skyCatalogPath);

        foreach (var det in detectors)
        {
            cancel.ThrowIfCancellationRequested();
            int w = det.BBox.Width, h = det.BBox.Height;
            var bias = new float[h, w];
            var dark = new float[h, w];
            var flat = new float[h, w];
            MakeCalibrations(det, cam, config, bias, dark, flat);
            calibs.Add(WriteCalibration(outDir, CalibrationType.Bias, "bias", null, det, bias, config));
            calibs.Add(WriteCalibration(outDir, CalibrationType.Dark, "dark", null, det, dark, config));
            calibs.Add(WriteCalibration(outDir, CalibrationType.Flat, "flat", config.Band, det, flat, config));
            calibs.Add(WriteJson(outDir, CalibrationType.Amplifiers, det, new JsonObject
            {
                ["detector"] = det.Name, ["id"] = det.Id, ["vendor"] = det.Vendor,
                ["amplifiers"] = Array(det.Amplifiers.Select(a => new JsonObject { ["name"] = a.Name, ["gain"] = a.Gain, ["readNoise"] = a.ReadNoise, ["saturation"] = a.Saturation })),
            }, indented: true));
            var defects = BadColumns(det, config);
            calibs.Add(WriteJson(outDir, CalibrationType.Defects, det, Array(defects.Select(d => new JsonArray(d.MinX, d.MinY, d.Width, d.Height)))));
            var crosstalk = CrosstalkCoefficients(det);
            int n = crosstalk.GetLength(0);
            calibs.Add(WriteJson(outDir, CalibrationType.Crosstalk, det, new JsonObject
            {
                ["detector"] = det.Name, ["convention"] = "coefficients[source][target], ADU per ADU, amplifier order C10..C17, C07..C00",
                ["coefficients"] = Array(Enumerable.Range(0, n).Select(i => Array(Enumerable.Range(0, n).Select(j => (JsonNode)crosstalk[i, j])))),
            }));
            var nonLinearity = NonLinearity(det, config);
            calibs.Add(WriteJson(outDir, CalibrationType.Linearity, det, new JsonObject
            {
                ["detector"] = det.Name, ["model"] = "measured = true * (1 - k * true), ADU above bias", ["k"] = Array(nonLinearity.Select(k => (JsonNode)k)),
            }));

            for (int visit = 0; visit < config.Visits; visit++)
            {
                cancel.ThrowIfCancellationRequested();
                var pointing = pointings[visit];
                var seeing = seeings[visit];
                double psfSigma = seeing.FwhmArcsec / SeeingField.FwhmPerSigma / cam.PixelScaleArcsec;   // at the boresight
                var noise = new Noise(Seed(config.Seed, visit, det.Id, 2));
                var wcs = Optics.DetectorWcs(pointing, cam, det);
                var catalog = SkyScene.Project(sky, wcs, w, h, cam.PixelScaleArcsec, (x, y) => seeing.SigmaPixels(cam, det, x, y),
                    SourceMarginPixels(psfSigma * (1 + config.SeeingGradient)));
                var truth = new float[h, w];
                SkyScene.Render(new Span2D<float>(truth), config.SkyElectrons * s2, catalog);
                if (transients is not null)
                    Transients.Render(new Span2D<float>(truth), transients[visit], config.Transients!, det.Name, wcs, cam.PixelScaleArcsec,
                                      (x, y) => seeing.SigmaPixels(cam, det, x, y));

                string visitDir = InputLayout.VisitName(visit);
                var header = VisitHeader(config, visit, pointing, det);
                wcs.WriteTo(header);
                // What the CCD collects: the sky's charge through the flat, plus hot columns, cosmic rays and
                // bleed trails; the truth stays the sky's. (The flat is applied again to the signal by the
                // instrument model, so the extra charge is divided by it here.)
                var signal = (float[,])truth.Clone();
                foreach (var d in defects)
                    for (int y = d.MinY; y <= d.MaxY; y++) signal[y, d.MinX] += HotColumnElectrons / flat[y, d.MinX];
                var crHits = new bool[h, w];
                ChargeEffects.CosmicRays(signal, crHits, (int)Math.Round(CosmicRaysPerFullDetector / s2 * config.ExposureTime / 30), noise);
                var fullWell = new float[h, w];
                foreach (var amp in det.Amplifiers)
                    for (int y = amp.BBox.MinY; y <= amp.BBox.MaxY; y++)
                        for (int x = amp.BBox.MinX; x <= amp.BBox.MaxX; x++)
                            fullWell[y, x] = (float)(amp.Saturation * amp.Gain * InstrumentSignature.FullWellOverSaturation);
                for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) signal[y, x] *= flat[y, x];
                ChargeEffects.Bleed(signal, fullWell);
                for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) signal[y, x] /= flat[y, x];
                var segments = InstrumentSignature.MakeRawSegments(det, new(signal), new(flat), new(dark), new(bias),
                    new SignatureConfig { DarkTime = config.DarkTime }, noise, crosstalk, nonLinearity);
                string rawPath = InputLayout.Raw(outDir, visit, det.Name);
                Directory.CreateDirectory(Path.GetDirectoryName(rawPath)!);
                try { RawFile.Write(rawPath, det, header, segments); }
                finally { segments.ForEach(s => s.Dispose()); }
                raws.Add(rawPath);

                string truthDir = Path.Combine(outDir, "truth", visitDir);
                Directory.CreateDirectory(truthDir);
                string truthPath = Path.Combine(truthDir, det.Name + ".fits");
                using (var tw = FitsWriter.Create(truthPath))
                {
                    var th = header.Clone();
                    th.Set("DETNAME", det.Name);
                    th.Set("BUNIT", "electron", "noise-free expected post-ISR image");
                    tw.WriteImage(th, new ReadOnlySpan2D<float>(truth));
                    tw.Commit();
                }
                truths.Add(truthPath);
                string catalogPath = Path.Combine(truthDir, det.Name + ".catalog.csv");
                WriteAtomically(catalogPath, "x,y,flux_electrons,sigma_pixels,galaxy\n" + string.Concat(catalog.Select(c =>
                    string.Create(CultureInfo.InvariantCulture, $"{c.X:R},{c.Y:R},{c.FluxElectrons:R},{c.SigmaPixels:R},{(c.IsGalaxy ? 1 : 0)}\n"))));
                truths.Add(catalogPath);
                string crPath = Path.Combine(truthDir, det.Name + ".cosmics.fits");
                using (var cw = FitsWriter.Create(crPath))
                {
                    var ch = new FitsHeader();
                    ch.Set("DETNAME", det.Name);
                    ch.AddCommentary("COMMENT", "1 where a simulated cosmic ray deposited charge");
                    var hitsBytes = new byte[h, w];
                    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) hitsBytes[y, x] = crHits[y, x] ? (byte)1 : (byte)0;
                    cw.WriteImage(ch, new ReadOnlySpan2D<byte>(hitsBytes));
                    cw.Commit();
                }
                truths.Add(crPath);
                string visitPath = Path.Combine(truthDir, "visit.json");
                if (!truths.Contains(visitPath))   // one per visit, not per detector
                {
                    WriteAtomically(visitPath, new JsonObject
                    {
                        ["visit"] = visit, ["band"] = config.Band, ["exptime"] = config.ExposureTime, ["darktime"] = config.DarkTime,
                        ["ra"] = pointing.Ra, ["dec"] = pointing.Dec, ["rotpa"] = pointing.RotPa, ["seeingFwhmArcsec"] = seeing.FwhmArcsec,
                        ["psfSigmaPixels"] = psfSigma, ["pixelScaleArcsec"] = cam.PixelScaleArcsec,
                        ["seeingGradient"] = seeing.Gradient, ["seeingGradientAngleDeg"] = seeing.AngleDegrees,
                        ["psfModel"] = "round Gaussian, pixel-integrated; FWHM(x, y) = seeingFwhmArcsec * (1 + seeingGradient * "
                                       + "(x cos(angle) + y sin(angle)) / 320 mm) at focal-plane position (x, y) mm; psfSigmaPixels is the boresight's; "
                                       + "each source's own sigma is in DET.catalog.csv",
                    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    truths.Add(visitPath);
                }
                progress?.Report($"visit {visit} {det.Name}");
            }
        }
        if (transients is not null)
        {
            string transientsPath = Path.Combine(outDir, "truth", "transients.json");
            WriteAtomically(transientsPath, Transients.Truth(transients, config.Transients!).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            truths.Add(transientsPath);
        }
        return new SimulationResult(raws, calibs, truths);
    }

    /// <summary>Galaxies' intrinsic sizes run from 1 to 4 of these, in (scaled) pixels.</summary>
    private const double GalaxySizeUnitPixels = 1;

    /// <summary>How far outside an image a source can still put light into it: 6 sigma of the widest galaxy.</summary>
    private static double SourceMarginPixels(double psfSigma) => 6 * Math.Sqrt(psfSigma * psfSigma + 16 * GalaxySizeUnitPixels * GalaxySizeUnitPixels);

    /// <summary>
    /// The catalogue of the field, fixed on the sky so that every visit sees the same sources: uniform over the
    /// tangent-plane box (at the field centre) that covers every selected detector in every visit plus a margin,
    /// at <see cref="SimulationConfig.StarsPerDetector"/> and <see cref="SimulationConfig.GalaxiesPerDetector"/>
    /// per detector area (stars divided by the scale, galaxies by its square, on a scaled detector).
    /// </summary>
    private static List<SkySource> SkyCatalog(CameraModel cam, IReadOnlyList<Detector> detectors, Pointing[] pointings, SimulationConfig config)
    {
        var plane = SkyScene.TangentPlane(config.Field);
        double minXi = double.MaxValue, minEta = double.MaxValue, maxXi = double.MinValue, maxEta = double.MinValue;
        foreach (var p in pointings)
            foreach (var det in detectors)
            {
                int w = det.BBox.Width, h = det.BBox.Height;
                foreach (var (x, y) in new[] { (0.0, 0.0), (w - 1.0, 0.0), (0.0, h - 1.0), (w - 1.0, h - 1.0), ((w - 1) / 2.0, 0.0), ((w - 1) / 2.0, h - 1.0), (0.0, (h - 1) / 2.0), (w - 1.0, (h - 1) / 2.0) })
                {
                    var fp = cam.PixelToFocalPlane(det, x, y);
                    var (ra, dec) = Optics.FocalPlaneToSky(p, cam, fp.X, fp.Y);
                    var (xi, eta) = plane.SkyToPixel(ra, dec);
                    (minXi, maxXi, minEta, maxEta) = (Math.Min(minXi, xi), Math.Max(maxXi, xi), Math.Min(minEta, eta), Math.Max(maxEta, eta));
                }
            }
        double margin = SourceMarginPixels(2 * config.MedianSeeingFwhmArcsec * (1 + config.SeeingGradient) / 2.3548 / cam.PixelScaleArcsec) * cam.PixelScaleArcsec / 3600;
        var box = (minXi - margin, minEta - margin, maxXi + margin, maxEta + margin);
        var any = detectors[0];
        double detectorSquareDegrees = any.BBox.Width * (double)any.BBox.Height * Math.Pow(cam.PixelScaleArcsec / 3600, 2);
        double s2 = config.Scale * (double)config.Scale;
        // Stars thin out by the scale, galaxies by its square: a scaled detector keeps enough bright, isolated stars to
        // measure its PSF (about 250 at 1/8 scale), as characterization needs, without crowding its fewer pixels.
        return SkyScene.SkyCatalog(config.Field, box, config.StarsPerDetector / (double)config.Scale / detectorSquareDegrees,
            config.GalaxiesPerDetector / s2 / detectorSquareDegrees, GalaxySizeUnitPixels * cam.PixelScaleArcsec, new Noise(Seed(config.Seed, -1, -1, 6)));
    }

    /// <summary>Cosmic rays per full-size detector in a 30 s exposure.</summary>
    private const double CosmicRaysPerFullDetector = 300;

    /// <summary>Extra charge in a hot column, e- per pixel.</summary>
    private const float HotColumnElectrons = 5000;

    /// <summary>A few hot columns per detector (whole or partial), the same for every visit.</summary>
    private static List<Box2I> BadColumns(Detector det, SimulationConfig config)
    {
        var noise = new Noise(Seed(config.Seed, -1, det.Id, 4));
        int w = det.BBox.Width, h = det.BBox.Height, count = Math.Max(1, 4 / config.Scale);
        var boxes = new List<Box2I>();
        for (int i = 0; i < count; i++)
        {
            int x = 1 + (int)(noise.Uniform() * (w - 2));
            int y0 = noise.Uniform() < 0.5 ? 0 : (int)(noise.Uniform() * h / 2);
            boxes.Add(new Box2I(x, y0, 1, h - y0));
        }
        return boxes;
    }

    /// <summary>Crosstalk between amplifiers of one row of segments: 2e-4 between neighbours, 5e-5 further
    /// along the row, none across the two rows (ADU per ADU, [source, target]).</summary>
    private static double[,] CrosstalkCoefficients(Detector det)
    {
        int n = det.Amplifiers.Count;
        var c = new double[n, n];
        for (int s = 0; s < n; s++)
            for (int t = 0; t < n; t++)
            {
                var (a, b) = (det.Amplifiers[s], det.Amplifiers[t]);
                if (s == t || a.Iy != b.Iy) continue;
                c[s, t] = Math.Abs(a.Ix - b.Ix) == 1 ? 2e-4 : 5e-5;
            }
        return c;
    }

    /// <summary>Mild quadratic non-linearity per amplifier: about 1% low at 100,000 ADU.</summary>
    private static double[] NonLinearity(Detector det, SimulationConfig config)
    {
        var noise = new Noise(Seed(config.Seed, -1, det.Id, 5));
        return det.Amplifiers.Select(_ => 1e-7 * (0.8 + 0.4 * noise.Uniform())).ToArray();
    }

    /// <summary>Writes <c>calib/KIND/DET.json</c> atomically.</summary>
    private static string WriteJson(string outDir, CalibrationType type, Detector det, JsonNode content, bool indented = false)
    {
        string path = InputLayout.Calibration(InputLayout.CalibrationRoot(outDir), type, det.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteAtomically(path, content.ToJsonString(new JsonSerializerOptions { WriteIndented = indented }));
        return path;
    }

    /// <summary>A JSON array of <paramref name="items"/>.</summary>
    private static JsonArray Array(IEnumerable<JsonNode> items) => new(items.ToArray());

    /// <summary>Deterministic per-stream seed (HashCode is randomised per process, so not used).</summary>
    private static int Seed(int seed, int visit, int detector, int stream) =>
        unchecked((int)((uint)seed * 2654435761u ^ (uint)(visit + 1) * 40503u ^ (uint)(detector + 2) * 9973u ^ (uint)stream * 7919u));

    private static void MakeCalibrations(Detector det, CameraModel cam, SimulationConfig config, float[,] bias, float[,] dark, float[,] flat)
    {
        var noise = new Noise(Seed(config.Seed, -1, det.Id, 3));
        int w = det.BBox.Width, h = det.BBox.Height;
        double pixelMm = cam.PixelSizeMm, s2 = config.Scale * (double)config.Scale;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bias[y, x] = (float)(2 * noise.Gaussian() + 3.0 * y / h);                  // e-: fixed pattern plus a gentle gradient
                bool hot = noise.Uniform() < 1e-3;
                dark[y, x] = (float)(config.DarkCurrent * s2 * (hot ? 200 : 1 + 0.1 * noise.Gaussian()));
                double fx = det.CenterMm.X + (x - w / 2.0) * pixelMm, fy = det.CenterMm.Y + (y - h / 2.0) * pixelMm;
                double r = Math.Sqrt(fx * fx + fy * fy) / VignettingRadiusMm;
                flat[y, x] = (float)((1 - 0.3 * r * r) * (1 + 0.01 * noise.Gaussian()));
            }
    }

    private static string WriteCalibration(string outDir, CalibrationType type, string kind, string? band, Detector det, float[,] pixels, SimulationConfig config)
    {
        string path = InputLayout.Calibration(InputLayout.CalibrationRoot(outDir), type, det.Name, band);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int w = det.BBox.Width, h = det.BBox.Height;
        using var mi = new MaskedImage(w, h);
        new ReadOnlySpan2D<float>(pixels).CopyTo(mi.Image.Pixels);
        var md = new FitsHeader();
        md.Set("CALIBTYP", kind, "master calibration type");
        md.Set("DETNAME", det.Name);
        md.Set("DETECTOR", det.Id);
        md.Set("LSST ISR UNITS", kind == "flat" ? "" : "electron");
        if (band is not null) md.Set("BAND", band);
        if (kind == "dark") md.Set("DARKTIME", 1.0, "combined darks are per second");
        md.Set("SIMSCALE", config.Scale, "amplifier dimensions divided by this");
        md.AddCommentary("HISTORY", "ImageCore simulator: noise-free master (zero variance)");
        using var exposure = new Exposure(new MaskedImage(mi.Image.Clone(), new Mask(w, h), new Image<float>(w, h)), md);
        ExposureFits.Write(path, exposure);
        return path;
    }

    private static FitsHeader VisitHeader(SimulationConfig config, int visit, Pointing p, Detector det)
    {
        var h = new FitsHeader();
        h.Set("EXPTIME", config.ExposureTime, "exposure time (s)");
        h.Set("DARKTIME", config.DarkTime, "dark time (s)");
        h.Set("MJD-OBS", 61000.0 + visit * 0.0004, "start of the exposure (MJD, TAI)");
        h.Set("BAND", config.Band, "filter band");
        h.Set("VISIT", visit);
        h.Set("RA", p.Ra, "boresight right ascension (deg)");
        h.Set("DEC", p.Dec, "boresight declination (deg)");
        h.Set("ROTPA", p.RotPa, "rotation angle (deg)");
        h.Set("SIMSEED", config.Seed, "simulator seed");
        h.Set("SIMSCALE", config.Scale, "amplifier dimensions divided by this");
        return h;
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
