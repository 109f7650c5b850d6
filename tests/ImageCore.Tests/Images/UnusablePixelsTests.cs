using ImageCore.Astrometry;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Warp;

namespace ImageCore.Tests.Images;

/// <summary>Warped pixels whose values are not usable (a bad source pixel nobody masked) get BAD; the vector pass marks
/// exactly the pixels the scalar reference marks.</summary>
public class UnusablePixelsTests
{
    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1f, -0f, 0f, float.Epsilon, -float.Epsilon, float.MaxValue, 3.5f];

    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 1)]
    [InlineData(8, 0)]
    [InlineData(33, 3)]
    [InlineData(1000, 5)]
    public void Vector_and_scalar_mark_the_same_pixels(int count, int offset)
    {
        var rng = new Random(count * 31 + offset);
        const int NoData = 1 << 8, Bad = 1 << 0;
        float[] image = new float[count + offset], variance = new float[count + offset];
        int[] maskVector = new int[count + offset], maskScalar = new int[count + offset];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = rng.Next(4) == 0 ? Specials[rng.Next(Specials.Length)] : (float)rng.NextDouble();
            variance[i] = rng.Next(4) == 0 ? Specials[rng.Next(Specials.Length)] : (float)rng.NextDouble();
            maskVector[i] = maskScalar[i] = rng.Next(3) == 0 ? NoData : rng.Next(2) << 4;
        }
        long vector = UnusablePixels.Mark(image.AsSpan(offset), variance.AsSpan(offset), maskVector.AsSpan(offset), NoData, Bad, vectorized: true);
        long scalar = UnusablePixels.Mark(image.AsSpan(offset), variance.AsSpan(offset), maskScalar.AsSpan(offset), NoData, Bad, vectorized: false);
        Assert.Equal(maskScalar, maskVector);
        Assert.Equal(scalar, vector);
        Assert.Equal(scalar, maskScalar.Skip(offset).Count(m => (m & Bad) != 0));
        for (int i = offset; i < image.Length; i++)
        {
            bool usable = float.IsFinite(image[i]) && float.IsFinite(variance[i]) && variance[i] >= 0;
            bool marked = (maskScalar[i] & Bad) != 0;
            Assert.Equal(!usable && (maskScalar[i] & NoData) == 0, marked);
        }
    }

    [Fact]
    public void An_unmasked_nan_in_the_source_is_bad_where_it_lands_and_nowhere_else()
    {
        var wcs = new SkyWcs((20, 20), (30.0, -10.0), new[,] { { -0.2 / 3600, 0 }, { 0, 0.2 / 3600 } });
        using var source = new MaskedImage(40, 40);
        source.Image.Pixels.Fill(7);
        source.Variance.Pixels.Fill(1);
        source.Image.Pixels[20, 20] = float.NaN;      // no mask bit: a bad pixel nobody marked
        source.Variance.Pixels[5, 30] = -2;           // a negative variance, likewise
        var (warped, _) = Warper.Warp(source, wcs, wcs.WithPixelOrigin(0.3, -0.4), new Box2I(0, 0, 40, 40), new WarpConfig());
        using (warped)
        {
            int bad = warped.Mask.GetBitMask("BAD"), noData = warped.Mask.GetBitMask("NO_DATA");
            int marked = 0;
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 40; x++)
                {
                    int m = warped.Mask.Image.Pixels[y, x];
                    float v = warped.Image.Pixels[y, x], s = warped.Variance.Pixels[y, x];
                    bool usable = float.IsFinite(v) && float.IsFinite(s) && s >= 0;
                    if ((m & noData) != 0) continue;
                    Assert.Equal(!usable, (m & bad) != 0);
                    if ((m & bad) != 0) marked++;
                }
            Assert.InRange(marked, 2, 100);
        }
    }
}
