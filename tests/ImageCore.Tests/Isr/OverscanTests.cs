using CommunityToolkit.HighPerformance;
using ImageCore.Isr;

namespace ImageCore.Tests.Isr;

public class OverscanTests
{
    private const int Rows = 400, Cols = 54;

    /// <summary>An overscan of a row-dependent bias (a drift plus row-correlated jitter) with Gaussian read noise.</summary>
    private static (float[,] Pixels, double[] Truth) Make(int seed, double noise = 5)
    {
        var rng = new Random(seed);
        var pix = new float[Rows, Cols];
        var truth = new double[Rows];
        for (int y = 0; y < Rows; y++)
        {
            truth[y] = 20000 + 0.01 * y + 3 * Gauss(rng);
            for (int x = 0; x < Cols; x++) pix[y, x] = (float)(truth[y] + noise * Gauss(rng));
        }
        return (pix, truth);
    }

    private static double Gauss(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static float[] Measure(float[,] pix, OverscanConfig config, bool dataOnLeft = true)
    {
        var levels = new float[pix.GetLength(0)];
        Overscan.MeasureRows(new ReadOnlySpan2D<float>(pix), dataOnLeft, config, levels);
        return levels;
    }

    [Fact]
    public void Median_per_row_follows_the_row_level_within_the_noise()
    {
        var (pix, truth) = Make(1);
        var levels = Measure(pix, new OverscanConfig());
        double rms = Math.Sqrt(Enumerable.Range(0, Rows).Average(y => Math.Pow(levels[y] - truth[y], 2)));
        // Median of 48 pixels with sigma 5: 5 * 1.2533 / sqrt(48) = 0.90 ADU expected.
        Assert.InRange(rms, 0.5, 1.3);
    }

    [Fact]
    public void Outliers_and_charge_next_to_the_data_are_ignored()
    {
        var (pix, truth) = Make(2);
        var clean = Measure(pix, new OverscanConfig());
        var rng = new Random(9);
        for (int k = 0; k < 300; k++) pix[rng.Next(Rows), rng.Next(3, Cols - 3)] += 50000;   // cosmic rays: beyond MaxDeviation
        for (int k = 0; k < 300; k++) pix[rng.Next(Rows), rng.Next(3, Cols - 3)] += 60;      // 12 sigma: clipped per row
        for (int y = 0; y < Rows; y++) for (int x = 0; x < 3; x++) pix[y, x] += 500;          // trailing charge in the leading columns
        var dirty = Measure(pix, new OverscanConfig());
        double rms = Math.Sqrt(Enumerable.Range(0, Rows).Average(y => Math.Pow(dirty[y] - truth[y], 2)));
        Assert.InRange(rms, 0.5, 1.5);
        Assert.True(Enumerable.Range(0, Rows).Max(y => Math.Abs(dirty[y] - clean[y])) < 5);
        // The same charge on the far side is skipped when the data lie to the right.
        var mirrored = new float[Rows, Cols];
        for (int y = 0; y < Rows; y++) for (int x = 0; x < Cols; x++) mirrored[y, Cols - 1 - x] = pix[y, x];
        Assert.Equal(dirty, Measure(mirrored, new OverscanConfig(), dataOnLeft: false));
    }

    [Fact]
    public void Fully_masked_rows_take_their_neighbours_median_and_an_empty_overscan_gives_zero()
    {
        var (pix, _) = Make(3, noise: 0);
        for (int x = 0; x < Cols; x++) pix[100, x] = float.NaN;
        var levels = Measure(pix, new OverscanConfig());
        var neighbours = Enumerable.Range(95, 11).Where(y => y != 100).Select(y => levels[y]).Order().ToArray();
        Assert.Equal((neighbours[4] + neighbours[5]) / 2, levels[100], 3);
        var empty = new float[10, Cols];
        for (int y = 0; y < 10; y++) for (int x = 0; x < Cols; x++) empty[y, x] = float.NaN;
        Assert.All(Measure(empty, new OverscanConfig()), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Constant_and_polynomial_fits()
    {
        var pix = new float[Rows, Cols];
        for (int y = 0; y < Rows; y++) for (int x = 0; x < Cols; x++) pix[y, x] = 1000 + 2f * y;   // a pure ramp
        var poly = Measure(pix, new OverscanConfig { FitType = OverscanFitType.Polynomial, PolynomialOrder = 1 });
        for (int y = 0; y < Rows; y++) Assert.Equal(1000 + 2f * y, poly[y], 2);
        var median = Measure(pix, new OverscanConfig { FitType = OverscanFitType.Median });
        Assert.All(median, v => Assert.Equal(1399f, v));   // median of 0..399 doubled: 1000 + 2 * 199.5
        var mean = Measure(pix, new OverscanConfig { FitType = OverscanFitType.Mean });
        Assert.All(mean, v => Assert.Equal(1399f, v, 2));
        var meanRows = Measure(pix, new OverscanConfig { FitType = OverscanFitType.MeanPerRow });
        for (int y = 0; y < Rows; y++) Assert.Equal(1000 + 2f * y, meanRows[y], 3);
    }

    [Fact]
    public void Subtraction_removes_the_row_levels_and_bad_configs_name_the_field()
    {
        var img = new float[3, 4];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 4; x++) img[y, x] = 10 + y;
        Overscan.SubtractRows(new Span2D<float>(img), [10f, 11f, 12f]);
        Assert.All(img.Cast<float>(), v => Assert.Equal(0f, v));
        var e = Assert.Throws<ArgumentException>(() => Measure(new float[5, 6], new OverscanConfig()));   // 6 - 3 - 3 = 0 columns
        Assert.Contains("skipping", e.Message);
        Assert.Contains("NumSigmaClip", Assert.Throws<ConfigException>(() => new OverscanConfig { NumSigmaClip = 0 }.Validate()).Message);
    }
}
