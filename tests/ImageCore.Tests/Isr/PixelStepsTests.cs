using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Tests.Isr;

public class PixelStepsTests
{
    [Fact]
    public void Saturation_is_flagged_at_or_above_the_threshold()
    {
        float[,] img = { { 1, 100, 99.99f }, { 100.01f, float.NaN, float.PositiveInfinity } };
        var mask = new int[2, 3];
        long n = PixelSteps.MaskAtOrAbove(new ReadOnlySpan2D<float>(img), new Span2D<int>(mask), 100f, 2);
        Assert.Equal(3, n);
        Assert.Equal(new[,] { { 0, 2, 0 }, { 2, 0, 2 } }, mask);
    }

    [Fact]
    public void Gain_scales_image_and_variance()
    {
        float[,] img = { { 10, 20 } }, var = { { 1, 4 } };
        PixelSteps.ApplyGain(new Span2D<float>(img), new Span2D<float>(var), 1.5);
        Assert.Equal(new[,] { { 15f, 30f } }, img);
        Assert.Equal(new[,] { { 2.25f, 9f } }, var);
        Assert.Throws<ArgumentException>(() => PixelSteps.ApplyGain(new Span2D<float>(img), new Span2D<float>(var), double.NaN));
    }

    [Fact]
    public void Defects_nan_and_variance()
    {
        using var mi = new MaskedImage(10, 6, new Point2I(100, 200));
        PixelSteps.MaskDefects(mi.Mask, [new Box2I(102, 201, 1, 10), new Box2I(0, 0, 5, 5)], 1);   // a bad column, one outside
        Assert.Equal(1, mi.Mask.Image[102, 203]);
        Assert.Equal(5, Enumerable.Range(0, 6).Count(y => mi.Mask.Image[102, 200 + y] == 1));
        mi.Image[105, 202] = float.NaN;
        mi.Variance[106, 202] = float.PositiveInfinity;
        Assert.Equal(2, PixelSteps.MaskNonFinite(mi, 1 << 11));
        mi.Image[107, 204] = -100;
        PixelSteps.AddVariance(mi.Image.Pixels, mi.Variance.Pixels, mi.Mask.Image.Pixels, readNoise: 5, badBit: 1);
        Assert.Equal(25f, mi.Variance[101, 201]);   // image 0: read noise only
        Assert.Equal(-75f, mi.Variance[107, 204]);
        Assert.Equal(1, mi.Mask.Image[107, 204] & 1);   // variance <= 0 is BAD
    }
}
