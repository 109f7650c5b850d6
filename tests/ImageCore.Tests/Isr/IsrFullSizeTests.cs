using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Isr;

/// <summary>Issue 3's accuracy check on full-size simulated detectors, one of each vendor.</summary>
public class IsrFullSizeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The acceptance check proper, on the e2v detector at the centre and the ITL detector nearest it
    /// (ITL rafts are all on the edge). On the vignetted corner detectors the sky is fainter and the bias of
    /// an image-based variance grows past 0.02 on its own (see the second test); that is the estimator, not the correction.</summary>
    [Theory]
    [InlineData("R20_S12")]   // ITL
    [InlineData("R22_S11")]   // e2v
    public void Full_size_isr_recovers_the_truth_within_the_noise(string detector)
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = detector, Scale = 1, Seed = 9 });
        using var raw = FitsFile.Open(sim.Raws[0]);
        using var exposure = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig(), maxDegreeOfParallelism: 2);
        var z = Residuals.Against(dir.Path, "000000", exposure);
        output.WriteLine($"{detector}: {z}");
        Assert.Equal(0, z.NonFiniteInGood);
        Assert.True(z.Masked > 1000, "saturated stars, their bleed trails and the defects are masked");
        Assert.True(z.Outliers < z.Good / 100_000, $"{z.Outliers} good pixels are more than 10 sigma off: something is not masked");
        // E[z] = -1 / (2 sqrt(signal)) because the variance comes from the measured image (as in ip_isr):
        // about -0.016 on this 1000 e- sky.
        Assert.InRange(z.Mean, -0.02, 0.02);
        Assert.InRange(z.Std, 0.95, 1.05);
        Assert.InRange(z.Mean - z.ExpectedMean, -0.005, 0.005);
    }

    /// <summary>The corner ITL detector, where vignetting leaves 0.58-0.74 of the sky: the mean of z is held
    /// to what the image-based variance predicts, within the noise of the overscan levels.</summary>
    [Fact]
    public void Vignetted_corner_detector_is_unbiased_apart_from_the_variance_estimator()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R01_S00", Scale = 1, Seed = 9 });
        using var raw = FitsFile.Open(sim.Raws[0]);
        using var exposure = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig(), maxDegreeOfParallelism: 2);
        var z = Residuals.Against(dir.Path, "000000", exposure);
        output.WriteLine($"R01_S00: {z}");
        Assert.Equal(0, z.NonFiniteInGood);
        Assert.InRange(z.Mean - z.ExpectedMean, -0.005, 0.005);
        Assert.InRange(z.Std, 0.95, 1.05);
    }
}
