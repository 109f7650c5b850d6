using System.Globalization;
using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Simulation;

public class SeeingFieldTests
{
    [Fact]
    public void The_fwhm_changes_linearly_along_the_gradient()
    {
        var flat = new SeeingField(0.8, 0, 30);
        Assert.Equal(0.8, flat.FwhmArcsecAt(-300, 250));
        var field = new SeeingField(0.8, 0.5, 90);   // worse towards +y
        Assert.Equal(0.8, field.FwhmArcsecAt(200, 0), 12);
        Assert.Equal(1.2, field.FwhmArcsecAt(0, 320), 12);
        Assert.Equal(0.4, field.FwhmArcsecAt(-50, -320), 12);
        var cam = CameraModel.LsstCam;
        var det = cam["R22_S11"];
        Assert.Equal(0.8 / 2.3548 / cam.PixelScaleArcsec, flat.SigmaPixels(cam, det, 10, 4000), 12);
        var (_, fy) = cam.PixelToFocalPlane(det, 100, 3000);
        Assert.Equal(0.8 * (1 + 0.5 * fy / 320) / 2.3548 / cam.PixelScaleArcsec, field.SigmaPixels(cam, det, 100, 3000), 12);
    }

    [Fact]
    public void Simulated_stars_have_the_psf_of_their_position_and_the_truth_says_how()
    {
        using var dir = new TempDir();
        var config = new SimulationConfig { Visits = 1, Detectors = "R01_S11", Scale = 8, Seed = 3, SeeingGradient = 0.5, SeeingFwhmArcsec = 6.4 };
        Simulator.Run(dir.Path, config);
        var cam = CameraModel.LsstCam.Scaled(8);
        var det = cam["R01_S11"];
        var seeing = Simulator.VisitConditions(config, 0).Seeing;
        Assert.Equal(0.5, seeing.Gradient);
        using (var visit = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "truth", "000000", "visit.json"))))
        {
            Assert.Equal(0.5, visit.RootElement.GetProperty("seeingGradient").GetDouble());
            Assert.Equal(seeing.AngleDegrees, visit.RootElement.GetProperty("seeingGradientAngleDeg").GetDouble());
            Assert.Equal(seeing.FwhmArcsec, visit.RootElement.GetProperty("seeingFwhmArcsec").GetDouble());
        }
        var stars = File.ReadAllLines(Path.Combine(dir.Path, "truth", "000000", "R01_S11.catalog.csv")).Skip(1)
            .Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .Where(v => v[4] == 0).ToList();
        Assert.True(stars.Count > 10);
        foreach (var s in stars) Assert.Equal(seeing.SigmaPixels(cam, det, s[0], s[1]), s[3], 12);
        double min = stars.Min(s => s[3]), max = stars.Max(s => s[3]);
        Assert.True(max / min > 1.02, $"star widths {min:F4}..{max:F4} do not vary");
    }

    [Fact]
    public void Without_a_gradient_the_simulation_is_what_it_was()
    {
        // A gradient of 0 leaves every star with the visit's one width (the files before the option existed).
        using var dir = new TempDir();
        var config = new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = 8, Seed = 3 };
        Simulator.Run(dir.Path, config);
        var widths = File.ReadAllLines(Path.Combine(dir.Path, "truth", "000000", "R22_S11.catalog.csv")).Skip(1)
            .Select(l => l.Split(',')).Where(v => v[4] == "0").Select(v => v[3]).Distinct().ToList();
        Assert.Single(widths);
        Assert.Contains("--seeing-gradient", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, config with { SeeingGradient = 1 })).Message);
    }
}
