using ImageCore.Characterize;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Tests.Characterize;

public class BackgroundModelTests
{
    private static BackgroundModel Model(Box2I box, int nx, int ny, Func<int, int, float> value, BackgroundInterpolation interpolation = BackgroundInterpolation.Akima)
    {
        var values = new float[nx * ny];
        for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) values[j * nx + i] = value(i, j);
        return new BackgroundModel(box, nx, ny, values, interpolation, 16, BackgroundStatistic.MeanClip, 0);
    }

    [Theory]
    [InlineData(BackgroundInterpolation.Akima)]
    [InlineData(BackgroundInterpolation.Linear)]
    public void A_noise_free_plane_is_recovered_to_the_image_edges(BackgroundInterpolation interpolation)
    {
        // 250 x 170 px, bins of 32: 8 x 6 bins of 31-32 px; the sky is a tilted plane.
        static double Sky(int x, int y) => 1000 + 0.5 * x - 0.25 * y;
        using var mi = Synthetic.Image(250, 170, Sky, 0, 1, new Point2I(-7, 40));
        var model = BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 32, Interpolation = interpolation });
        Assert.Equal(8, model.BinsX);
        Assert.Equal(6, model.BinsY);
        Assert.Equal(0, model.FilledBins);
        // 250 = 31 + 31 + 31 + 32 + 31 + 31 + 31 + 32 (floor(i 250 / 8)); centres at the mean of first and last pixel.
        Assert.Equal(new Box2I(-7, 40, 31, 28), model.GetBinBox(0, 0));
        Assert.Equal(new Box2I(-7 + 93, 40 + 56, 32, 29), model.GetBinBox(3, 2));
        Assert.Equal(new Box2I(-7 + 218, 40 + 141, 32, 29), model.GetBinBox(7, 5));
        Assert.Equal(-7 + 15.0, model.GetBinCentreX(0));
        Assert.Equal(-7 + 93 + 15.5, model.GetBinCentreX(3));
        Assert.Equal(40 + 13.5, model.GetBinCentreY(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.GetBinCentreX(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.GetBinValue(0, 6));
        using var bg = model.GetImage();
        Assert.Equal(mi.BBox, bg.BBox);
        double worst = 0;
        for (int y = 0; y < 170; y++)
            for (int x = 0; x < 250; x++)
                worst = Math.Max(worst, Math.Abs(bg.Plane[x, y] - Sky(x, y)));
        Assert.True(worst < 2e-3, $"worst deviation {worst}");   // single-precision rounding of ~1000
    }

    [Fact]
    public void A_noisy_gradient_is_recovered_within_the_noise_of_a_bin()
    {
        // A curved sky (quadratic) with noise 10: each 32 x 32 bin's clipped mean has an error of about 10 / 32.
        static double Sky(int x, int y) => 500 + 0.2 * x + 0.1 * y + 2e-4 * (x - 200) * (x - 200);
        using var mi = Synthetic.Image(400, 300, Sky, 10, 2);
        var model = BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 32 });
        using var bg = model.GetImage();
        double sum2 = 0, worst = 0;
        int wx = 0, wy = 0;
        for (int y = 0; y < 300; y++)
            for (int x = 0; x < 400; x++)
            {
                double d = bg.Plane[x, y] - Sky(x, y);
                sum2 += d * d;
                if (Math.Abs(d) > worst) (worst, wx, wy) = (Math.Abs(d), x, y);
            }
        double rms = Math.Sqrt(sum2 / (400 * 300));
        Assert.True(rms < 0.6, $"rms {rms}");
        // The worst pixel is a corner, where the model continues linearly with tangents taken from noisy bins.
        Assert.True(worst < 4, $"worst {worst} at ({wx}, {wy}), rms {Math.Sqrt(sum2 / (400 * 300))}");
    }

    [Fact]
    public void A_masked_saturated_blob_does_not_bias_its_bin_and_unmasked_it_would()
    {
        // One 64 x 64 bin holds a 40 x 40 blob at 60000 (40% of the bin: too much for any clipping to remove).
        using var mi = Synthetic.Image(256, 256, (_, _) => 1000, 10, 3);
        int sat = mi.Mask.GetBitMask("SAT");
        for (int y = 80; y < 120; y++)
            for (int x = 80; x < 120; x++)
            {
                mi.Image.Plane[x, y] = 60000;
                mi.Mask.Image.Plane[x, y] = sat;
            }
        var config = new BackgroundConfig { BinSize = 64 };
        var masked = BackgroundModel.Measure(mi, config);
        Assert.InRange(masked.GetBinValue(1, 1), 998.5f, 1001.5f);
        var unmasked = BackgroundModel.Measure(mi, config with { IgnoredPlanes = ["BAD"] });
        Assert.True(unmasked.GetBinValue(1, 1) > 1100, $"unmasked bin {unmasked.GetBinValue(1, 1)}");
        // DETECTED and CR pixels are left out the same way; so are NaN values whatever their mask.
        foreach (string plane in new[] { "DETECTED", "CR", "BAD", "NO_DATA" })
        {
            int bit = mi.Mask.GetBitMask(plane);
            for (int y = 80; y < 120; y++) for (int x = 80; x < 120; x++) mi.Mask.Image.Plane[x, y] = bit;
            Assert.InRange(BackgroundModel.Measure(mi, config).GetBinValue(1, 1), 998.5f, 1001.5f);
        }
        for (int y = 80; y < 120; y++) for (int x = 80; x < 120; x++) { mi.Image.Plane[x, y] = float.NaN; mi.Mask.Image.Plane[x, y] = 0; }
        Assert.InRange(BackgroundModel.Measure(mi, config).GetBinValue(1, 1), 998.5f, 1001.5f);
    }

    [Fact]
    public void Clipped_mean_and_median_follow_afw()
    {
        var rng = new Random(4);
        var values = new float[4000];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(100 + 10 * Synthetic.Gauss(rng));
        for (int i = 0; i < 200; i++) values[i] = 5000;   // 5% outliers: the clipped mean ignores them, the plain mean would not
        double clipped = BackgroundModel.BinStatistic(values.ToArray(), BackgroundStatistic.MeanClip, 3, 3);
        Assert.InRange(clipped, 99, 101.5);
        double median = BackgroundModel.BinStatistic(values.ToArray(), BackgroundStatistic.Median, 3, 3);
        Assert.InRange(median, 99, 102);
        Assert.Equal(7.0, BackgroundModel.BinStatistic(new float[] { 7, 7, 7, 7 }, BackgroundStatistic.MeanClip, 3, 3));
        Assert.Equal(2.5, BackgroundModel.BinStatistic(new float[] { 4, 1, 3, 2 }, BackgroundStatistic.Median, 3, 3));
    }

    [Fact]
    public void A_bin_without_enough_good_pixels_is_the_mean_of_its_neighbours()
    {
        using var mi = Synthetic.Image(128, 96, (x, y) => 100 + x + 2 * y, 0, 5);
        int bad = mi.Mask.GetBitMask("BAD");
        // Bin (1, 1) of a 4 x 3 grid of 32 px: 95% masked, below the 10% floor.
        for (int y = 32; y < 64; y++) for (int x = 32; x < 64; x++) if ((x + y) % 20 != 0) mi.Mask.Image.Plane[x, y] = bad;
        var model = BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 32 });
        Assert.Equal(1, model.FilledBins);
        double sum = 0;
        for (int j = 0; j <= 2; j++) for (int i = 0; i <= 2; i++) if (i != 1 || j != 1) sum += model.GetBinValue(i, j);
        Assert.Equal((float)(sum / 8), model.GetBinValue(1, 1));
        // A hole of several bins fills from its rim inwards, and the fill does not depend on the bin order.
        var values = new float[] { 1, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, 9 };
        Assert.Equal(7, BackgroundModel.FillEmptyBins(values, 3, 3));
        Assert.Equal(new float[] { 1, 1, 5, 1, 5, 9, 5, 9, 9 }, values);
    }

    [Fact]
    public void An_image_without_a_good_pixel_gets_a_named_error_not_NaN()
    {
        using var mi = Synthetic.Image(64, 64, (_, _) => 10, 1, 6, new Point2I(100, 200));
        mi.Mask.Image.Plane.Fill(mi.Mask.GetBitMask("NO_DATA"));
        var e = Assert.Throws<BackgroundException>(() => BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 16 }));
        Assert.Equal(mi.BBox, e.BBox);
        Assert.Equal(0, e.GoodPixels);
        Assert.Contains("[100..163, 200..263]", e.Message);
        Assert.Contains("NO_DATA", e.Message);
    }

    [Fact]
    public void Settings_out_of_range_are_named()
    {
        Assert.Equal("BackgroundConfig.BinSize", Assert.Throws<ConfigException>(() => new BackgroundConfig { BinSize = 0 }.Validate()).Setting);
        Assert.Equal("BackgroundConfig.MinGoodFraction", Assert.Throws<ConfigException>(() => new BackgroundConfig { MinGoodFraction = 0 }.Validate()).Setting);
        Assert.Equal("BackgroundConfig.ClipSigma", Assert.Throws<ConfigException>(() => new BackgroundConfig { ClipSigma = double.NaN }.Validate()).Setting);
        Assert.Equal("BackgroundConfig.ClipIterations", Assert.Throws<ConfigException>(() => new BackgroundConfig { ClipIterations = 0 }.Validate()).Setting);
        Assert.Equal("BackgroundConfig.Statistic", Assert.Throws<ConfigException>(() => new BackgroundConfig { Statistic = (BackgroundStatistic)9 }.Validate()).Setting);
        Assert.Equal("BackgroundConfig.IgnoredPlanes[1]", Assert.Throws<ConfigException>(() => new BackgroundConfig { IgnoredPlanes = ["BAD", " "] }.Validate()).Setting);
        new BackgroundConfig().Validate();
        using var mi = new MaskedImage(8, 8);
        Assert.Throws<KeyNotFoundException>(() => BackgroundModel.Measure(mi, new BackgroundConfig { IgnoredPlanes = ["NOPE"] }));
    }

    [Fact]
    public void Subtract_then_add_restores_and_subtract_equals_the_image_minus_the_model()
    {
        using var mi = Synthetic.Image(300, 200, (x, y) => 2000 + 3 * Math.Sin(x / 40.0) + y * 0.1, 5, 7);
        var model = BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 40 });
        using var original = mi.Image.Clone();
        using var bg = model.GetImage();
        model.SubtractFrom(mi, maxDegreeOfParallelism: 3);
        for (int y = 0; y < 200; y++)
            for (int x = 0; x < 300; x++)
                Assert.Equal(original.Plane[x, y] - bg.Plane[x, y], mi.Image.Plane[x, y]);
        model.AddTo(mi);
        for (int y = 0; y < 200; y++)
            for (int x = 0; x < 300; x++)
                Assert.True(Math.Abs(mi.Image.Plane[x, y] - original.Plane[x, y]) <= 2.5e-4f, $"({x}, {y})");
        using var wrong = new Image<float>(300, 200, new Point2I(1, 0));
        Assert.Throws<ArgumentException>(() => model.SubtractFrom(wrong));
    }

    [Fact]
    public void Evaluation_does_not_depend_on_threads_and_At_matches_it()
    {
        var box = new Box2I(5, -3, 517, 389);
        var rng = new Random(8);
        var model = Model(box, 9, 7, (_, _) => (float)(100 + 20 * rng.NextDouble()));
        using var one = model.GetImage(1);
        using var many = model.GetImage(4);
        var span = new float[389, 517];
        model.Evaluate(new CommunityToolkit.HighPerformance.Span2D<float>(span));
        for (int y = 0; y < 389; y++)
            for (int x = 0; x < 517; x++)
            {
                Assert.Equal(one.Plane[x, y], many.Plane[x, y]);
                Assert.Equal(one.Plane[x, y], span[y, x]);
            }
        foreach (var (x, y) in new[] { (5, -3), (521, 385), (100, 100), (6, 385) })
            Assert.Equal(one[x, y], model.At(x, y));
        // The curve passes through every bin value at its bin's centre when the centre is a whole pixel.
        for (int j = 0; j < 7; j++)
            for (int i = 0; i < 9; i++)
            {
                double cx = model.GetBinCentreX(i), cy = model.GetBinCentreY(j);
                if (cx == Math.Floor(cx) && cy == Math.Floor(cy))
                    Assert.Equal(model.GetBinValue(i, j), model.At((int)cx, (int)cy), 3f);
            }
    }

    public static TheoryData<int, int, int> Grids => new()
    {
        { 1, 1, 1 }, { 2, 2, 1 }, { 2, 1, 2 }, { 3, 3, 3 }, { 5, 4, 4 }, { 17, 3, 5 }, { 33, 2, 2 }, { 64, 7, 3 }, { 70, 9, 1 }, { 257, 13, 6 },
    };

    [Theory, MemberData(nameof(Grids))]
    public void The_vector_kernel_matches_the_scalar_reference(int width, int binsX, int binsY)
    {
        var rng = new Random(width * 31 + binsX);
        int height = Math.Max(binsY, 11);
        foreach (var interpolation in new[] { BackgroundInterpolation.Akima, BackgroundInterpolation.Linear })
        {
            var model = Model(new Box2I(0, 0, width, height), binsX, binsY, (_, _) => (float)(rng.NextDouble() * 1e4 - 5e3), interpolation);
            using var plane = new Plane<float>(width, height);
            using var reference = new Plane<float>(width, height);
            float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e30f];
            foreach (int mode in new[] { 0, 1, 2 })
            {
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        plane[x, y] = reference[x, y] = rng.Next(10) == 0 ? special[rng.Next(special.Length)] : (float)(rng.NextDouble() * 100);
                switch (mode)
                {
                    case 0: model.Apply<WriteBackground>(plane, 1, vector: true); model.Apply<WriteBackground>(reference, 1, vector: false); break;
                    case 1: model.Apply<SubtractBackground>(plane, 2, vector: true); model.Apply<SubtractBackground>(reference, 1, vector: false); break;
                    default: model.Apply<AddBackground>(plane, 1, vector: true); model.Apply<AddBackground>(reference, 1, vector: false); break;
                }
                for (int y = 0; y < height; y++)
                    Assert.Equal(reference.GetRowSpan(y).ToArray(), plane.GetRowSpan(y).ToArray());   // bit-exact
            }
        }
    }

    [Fact]
    public void Akima_passes_through_its_knots_and_does_not_overshoot_a_step()
    {
        double[] x = [0, 10, 20, 30, 40, 50], y = [0, 0, 0, 1, 1, 1];
        var pieces = new SplinePiece[7];
        BackgroundSpline.Fit(x, y, BackgroundInterpolation.Akima, pieces, new double[9]);
        for (int k = 0; k < 6; k++) Assert.Equal(y[k], pieces[BackgroundSpline.PieceIndex(x, x[k])].At(x[k]), 12);
        for (double t = -5; t <= 55; t += 0.25)
        {
            double v = pieces[BackgroundSpline.PieceIndex(x, t)].At(t);
            Assert.InRange(v, -1e-12, 1 + 1e-12);   // a natural cubic spline rings here; Akima's flat ends stay flat
        }
    }
}
