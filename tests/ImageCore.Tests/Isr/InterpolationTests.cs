using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Tests.Isr;

public class InterpolationTests
{
    [Fact]
    public void Bad_pixels_are_interpolated_along_rows_and_flagged()
    {
        using var mi = new MaskedImage(8, 3);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 8; x++) { mi.Image[x, y] = 10 * x + y; mi.Variance[x, y] = 1; }
        int bad = mi.Mask.GetBitMask("BAD"), intrp = mi.Mask.GetBitMask("INTRP");
        mi.Mask.Image[3, 1] = bad; mi.Mask.Image[4, 1] = bad; mi.Image[3, 1] = 9999; mi.Image[4, 1] = float.NaN;   // interior run
        mi.Mask.Image[0, 2] = bad; mi.Image[0, 2] = -5;                                                        // edge
        long n = Interpolation.OverDefects(mi, bad, growSaturated: false);
        Assert.Equal(3, n);
        Assert.Equal(31f, mi.Image[3, 1]);   // linear between x=2 (21) and x=5 (51)
        Assert.Equal(41f, mi.Image[4, 1]);
        Assert.Equal(12f, mi.Image[0, 2]);   // one side only: the nearest good pixel
        Assert.Equal(bad | intrp, mi.Mask.Image[3, 1]);
        Assert.Equal(0, mi.Mask.Image[2, 1]);
    }

    [Fact]
    public void Saturation_grows_by_one_pixel_before_interpolation()
    {
        using var mi = new MaskedImage(5, 5);
        int sat = mi.Mask.GetBitMask("SAT");
        mi.Mask.Image[2, 2] = sat;
        Interpolation.OverDefects(mi, sat);
        int[] expectSat = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        for (int i = 0; i < 25; i++) Assert.Equal(expectSat[i] == 1, (mi.Mask.Image[i % 5, i / 5] & sat) != 0);
        Assert.All(Enumerable.Range(0, 25), i => Assert.True(float.IsFinite(mi.Image[i % 5, i / 5])));
    }
}
