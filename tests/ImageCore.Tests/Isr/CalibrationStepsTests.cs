using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Tests.Isr;

public class CalibrationStepsTests
{
    private static MaskedImage Frame(int w, int h, float image, float variance, int mask = 0, Point2I xy0 = default)
    {
        var mi = new MaskedImage(w, h, xy0);
        mi.Image.Plane.Fill(image);
        mi.Variance.Plane.Fill(variance);
        mi.Mask.Image.Plane.Fill(mask);
        return mi;
    }

    [Fact]
    public void Ten_minus_a_bias_of_one_is_nine_with_variances_added_and_masks_ored()
    {
        using var sci = Frame(10, 10, 10f, 4f, mask: 0b001);
        using var bias = Frame(10, 10, 1f, 0.25f, mask: 0b100);
        CalibrationSteps.SubtractBias(sci, bias);
        Assert.All(sci.Image.Pixels.ToArray().Cast<float>(), v => Assert.Equal(9f, v));
        Assert.All(sci.Variance.Pixels.ToArray().Cast<float>(), v => Assert.Equal(4.25f, v));
        Assert.All(sci.Mask.Image.Pixels.ToArray().Cast<int>(), v => Assert.Equal(0b101, v));
    }

    [Fact]
    public void Dark_is_scaled_by_the_dark_time_ratio()
    {
        using var sci = Frame(7, 3, 100f, 50f);
        using var dark = Frame(7, 3, 0.5f, 0.01f);   // per second: combined darks carry darkTime 1
        CalibrationSteps.SubtractDark(sci, dark, scienceDarkTime: 30, calibDarkTime: 1);
        Assert.All(sci.Image.Pixels.ToArray().Cast<float>(), v => Assert.Equal(85f, v));
        Assert.All(sci.Variance.Pixels.ToArray().Cast<float>(), v => Assert.Equal(50f + 900f * 0.01f, v, 4));
        Assert.Throws<ArgumentException>(() => CalibrationSteps.SubtractDark(sci, dark, 30, 0));
    }

    [Fact]
    public void Flat_division_propagates_variance_as_afw_does()
    {
        var rng = new Random(5);
        using var sci = Frame(37, 5, 0, 0);
        using var flat = Frame(37, 5, 0, 0);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 37; x++)
            {
                sci.Image[x, y] = (float)(rng.NextDouble() * 1000);
                sci.Variance[x, y] = (float)(rng.NextDouble() * 1000);
                flat.Image[x, y] = (float)(0.8 + 0.4 * rng.NextDouble());
                flat.Variance[x, y] = (float)(1e-4 * rng.NextDouble());
            }
        var (i0, v0) = (sci.Image[3, 2], sci.Variance[3, 2]);
        var (f0, vf0) = (flat.Image[3, 2], flat.Variance[3, 2]);
        CalibrationSteps.DivideFlat(sci, flat);
        double expectedVar = ((double)i0 * i0 * vf0 + (double)f0 * f0 * v0) / Math.Pow(f0, 4);
        Assert.Equal(i0 / f0, sci.Image[3, 2]);
        Assert.Equal(expectedVar, sci.Variance[3, 2], expectedVar * 1e-6);
    }

    [Fact]
    public void A_calibration_of_another_size_names_both_boxes()
    {
        using var sci = Frame(4096, 4, 0, 0);
        using var dark = Frame(4072, 4, 0, 0);
        var e = Assert.Throws<ArgumentException>(() => CalibrationSteps.SubtractDark(sci, dark, 30, 1));
        Assert.Contains("science is 4096x4", e.Message);
        Assert.Contains("dark is 4072x4", e.Message);
    }
}
