using System.Globalization;
using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Characterize;
using ImageCore.Fits;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Characterize;

/// <summary>Background and detection on the simulator's post-ISR detectors (scale 8, the demo's 6.4" seeing: a PSF
/// of ~3.7 px FWHM), against its truth: the sky level, the catalogue of sources and the cosmic-ray pixels.</summary>
public sealed class CharacterizeSimulationTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Truth(double X, double Y, double Flux, double Sigma, bool Galaxy);

    [Fact]
    public void The_sky_is_recovered_bright_stars_are_all_detected_and_few_detections_are_unexplained()
    {
        string[] detectors = ["R22_S10", "R22_S11", "R22_S12"];
        var config = new SimulationConfig { Visits = 1, Detectors = string.Join(',', detectors), Scale = 8, Seed = 3, SeeingFwhmArcsec = 6.4 };
        var sim = Simulator.Run(_dir.Path, config);
        string truthDir = Path.Combine(_dir.Path, "truth", "000000");
        using var visit = JsonDocument.Parse(File.ReadAllText(Path.Combine(truthDir, "visit.json")));
        double psfSigma = visit.RootElement.GetProperty("psfSigmaPixels").GetDouble();
        double sky = config.SkyElectrons * config.Scale * config.Scale, noise = Math.Sqrt(sky);
        double Snr(Truth t) => t.Flux / (noise * Math.Sqrt(4 * Math.PI) * t.Sigma);   // matched-filter S/N of a Gaussian
        int brightCount = 0, brightFound = 0, visibleCount = 0, visibleFound = 0, unexplained = 0, cosmicOnly = 0, footprints = 0;
        foreach (string rawPath in sim.Raws)
        {
            using var raw = FitsFile.Open(rawPath);
            using var exposure = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(_dir.Path, "calib")), new IsrConfig());
            string name = exposure.Metadata.GetString("DETNAME");
            var truth = File.ReadAllLines(Path.Combine(truthDir, name + ".catalog.csv")).Skip(1).Select(l => l.Split(','))
                .Select(f => new Truth(Parse(f[0]), Parse(f[1]), Parse(f[2]), Parse(f[3]), f[4] == "1")).ToList();
            var mi = exposure.MaskedImage;
            int width = mi.BBox.Width, height = mi.BBox.Height;

            // Background: 128 px at full scale is 16 px here. The flat-fielded sky is SkyElectrons x scale^2 everywhere.
            var background = BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 128 / config.Scale }, maxDegreeOfParallelism: 2);
            var bins = background.GetBinValues().Select(v => (double)v).Order().ToArray();
            output.WriteLine($"{name}: {background.BinsX}x{background.BinsY} bins, median {bins[bins.Length / 2]:F1} (sky {sky}), " +
                             $"5-95% {bins[bins.Length / 20]:F1}..{bins[bins.Length * 19 / 20]:F1}");
            // A bin's clipped mean has an error of about noise / 16 = 16 e-; sources not yet masked lift a few bins.
            Assert.InRange(bins[bins.Length / 2] - sky, -10, 20);
            Assert.InRange(bins[bins.Length / 20] - sky, -60, 0);
            Assert.InRange(bins[bins.Length * 19 / 20] - sky, 0, 80);
            background.SubtractFrom(mi);

            var result = SourceDetection.Detect(mi, psfSigma, new DetectionConfig(), maxDegreeOfParallelism: 2);
            footprints += result.Footprints.Count;
            int h = result.KernelHalfWidth;
            bool Inside(Truth t) => t.X >= h + 2 && t.Y >= h + 2 && t.X <= width - h - 3 && t.Y <= height - h - 3;
            bool Found(Truth t) => result.Footprints.Any(f => f.Peaks.Any(p => Math.Abs(p.X - t.X) <= 1.5 && Math.Abs(p.Y - t.Y) <= 1.5));
            // Stars of S/N >= 10 inside the searched area with no other source within 4 sigma brighter than a tenth of
            // them (blends are not counted): every one has a peak within 1.5 px.
            var bright = truth.Where(t => !t.Galaxy && Snr(t) >= 10 && Inside(t)
                                          && !truth.Any(o => o != t && o.Flux > 0.1 * t.Flux && Math.Abs(o.X - t.X) < 4 * psfSigma && Math.Abs(o.Y - t.Y) < 4 * psfSigma))
                              .ToList();
            brightCount += bright.Count;
            brightFound += bright.Count(Found);
            // Every source (stars and galaxies) of S/N >= 7 lies in a footprint.
            var visible = truth.Where(t => Snr(t) >= 7 && Inside(t)).ToList();
            visibleCount += visible.Count;
            visibleFound += visible.Count(t => result.Footprints.Any(f => f.Contains((int)Math.Round(t.X), (int)Math.Round(t.Y))));

            // Unexplained footprints: no truth source of S/N >= 2, no cosmic-ray pixel, no SAT/BAD/SUSPECT pixel.
            using var cosmics = ImageCore.Images.ImageFits.Read<byte>(Path.Combine(truthDir, name + ".cosmics.fits"));
            int flagged = mi.Mask.GetBitMask("SAT", "BAD", "SUSPECT");
            var faint = truth.Where(t => Snr(t) >= 2).ToList();
            foreach (var f in result.Footprints)
            {
                bool cosmic = false, masked = false;
                foreach (var s in f.Spans)
                    for (int x = s.X0; x <= s.X1; x++)
                    {
                        cosmic |= cosmics.Plane[x, s.Y] != 0;
                        masked |= (mi.Mask.Image.Plane[x, s.Y] & flagged) != 0;
                    }
                // A source explains a footprint when its centre is inside it, or (for sources centred beyond the
                // image's edge) within 3 of its sigmas of the footprint's box.
                var b = f.BBox;
                bool source = faint.Any(t => f.Contains((int)Math.Round(t.X), (int)Math.Round(t.Y))
                                             || (t.X >= b.MinX - 3 * t.Sigma && t.X <= b.MaxX + 3 * t.Sigma && t.Y >= b.MinY - 3 * t.Sigma && t.Y <= b.MaxY + 3 * t.Sigma
                                                 && (t.X < 0 || t.Y < 0 || t.X > width - 1 || t.Y > height - 1)));
                if (cosmic && !source) cosmicOnly++;
                if (!source && !cosmic && !masked)
                {
                    unexplained++;
                    var near = faint.OrderBy(t => Math.Abs(t.X - f.Peaks[0].X) + Math.Abs(t.Y - f.Peaks[0].Y)).First();
                    output.WriteLine($"unexplained {name} {f.BBox} area {f.Area} peak {f.Peaks[0]}; nearest truth {near} S/N {Snr(near):F2}");
                }
            }
        }
        output.WriteLine($"psf sigma {psfSigma:F3} px; {footprints} footprints; bright isolated stars found {brightFound}/{brightCount}; " +
                         $"sources of S/N >= 7 in a footprint {visibleFound}/{visibleCount}; cosmic rays alone {cosmicOnly}; unexplained {unexplained}");
        Assert.True(brightCount >= 20, $"only {brightCount} bright isolated stars");
        // With ~250 stars a detector (stars thin out by the scale, not its square) a few "isolated" ones sit on a blend's
        // shoulder and share its peak.
        Assert.True(brightFound >= 0.97 * brightCount, $"{brightFound} of {brightCount} bright isolated stars found");
        Assert.True(visibleFound >= 0.95 * visibleCount, $"{visibleFound} of {visibleCount} sources of S/N >= 7 detected");
        // At 5 sigma, noise alone gives ~0.1 footprint per image here; the rest are instrument features the truth
        // catalogue does not list (one here: 32 px from a galaxy of S/N 1400 on its row, a crosstalk residual).
        Assert.InRange(unexplained, 0, 2);
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
