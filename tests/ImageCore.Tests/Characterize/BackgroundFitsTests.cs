using ImageCore.Characterize;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Characterize;

public sealed class BackgroundFitsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static BackgroundModel Measured(BackgroundInterpolation interpolation)
    {
        using var mi = Synthetic.Image(203, 157, (x, y) => 800 + 0.3 * x + 40 * Math.Sin(y / 30.0), 6, 21, new Point2I(-12, 33));
        for (int y = 0; y < 40; y++) for (int x = 0; x < 40; x++) mi.Mask.Image.Plane[x, y] = mi.Mask.GetBitMask("NO_DATA");
        return BackgroundModel.Measure(mi, new BackgroundConfig { BinSize = 25, Interpolation = interpolation, Statistic = BackgroundStatistic.Median });
    }

    [Theory]
    [InlineData(BackgroundInterpolation.Akima)]
    [InlineData(BackgroundInterpolation.Linear)]
    public void A_model_read_back_evaluates_bit_for_bit_as_the_one_written(BackgroundInterpolation interpolation)
    {
        var model = Measured(interpolation);
        Assert.True(model.FilledBins > 0);
        string path = _dir.File("bg.fits");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(null);
            var extra = new FitsHeader();
            extra.Set("VISIT", 7);
            BackgroundFits.Write(w, model, extra);
            w.Commit();
        }
        var back = BackgroundFits.Read(path);
        Assert.Equal(model.BBox, back.BBox);
        Assert.Equal((model.BinsX, model.BinsY, model.BinSize), (back.BinsX, back.BinsY, back.BinSize));
        Assert.Equal((model.Interpolation, model.Statistic, model.FilledBins), (back.Interpolation, back.Statistic, back.FilledBins));
        Assert.Equal(model.GetBinValues(), back.GetBinValues());
        using var a = model.GetImage();
        using var b = back.GetImage();
        for (int y = 0; y < a.Height; y++) Assert.Equal(a.Plane.GetRowSpan(y).ToArray(), b.Plane.GetRowSpan(y).ToArray());
        Assert.Equal(7, ImageCore.Fits.Fits.ReadHeader(path, "BACKGROUND").GetInt32("VISIT"));
    }

    [Theory]
    [InlineData("BKGINTRP", "CUBIC")]
    [InlineData("BKGSTAT", "MODE")]
    [InlineData("BKGIMW", null)]
    [InlineData("BKGIMW", 2)]
    [InlineData("NAN", null)]
    public void Damaged_headers_and_bins_are_named(string keyword, object? value)
    {
        var model = Measured(BackgroundInterpolation.Akima);
        string path = _dir.File("bad.fits");
        var h = new FitsHeader();
        h.Set("EXTNAME", "BACKGROUND");
        h.Set("BKGIMW", 203);
        h.Set("BKGIMH", 157);
        h.Set("BKGX0", 0);
        h.Set("BKGY0", 0);
        h.Set("BKGINTRP", "AKIMA");
        h.Set("BKGSTAT", "MEANCLIP");
        h.Set("BKGBINSZ", 25);
        float[] values = model.GetBinValues();
        if (keyword == "NAN") values[5] = float.NaN;
        else if (value is null) h.Remove(keyword);
        else h.Set(keyword, value);
        FitsWriter.Write(path, w => { w.WriteEmpty(null); w.WriteImage(h, new CommunityToolkit.HighPerformance.ReadOnlySpan2D<float>(values, model.BinsY, model.BinsX)); });
        var e = Assert.Throws<FitsFormatException>(() => BackgroundFits.Read(path));
        Assert.Contains(path, e.Message);
        if (keyword == "BKGIMW" && value is 2) Assert.Equal("NAXIS1", e.Keyword);
        else if (keyword != "NAN") Assert.Equal(keyword, e.Keyword);
        else Assert.Contains("bin (5, 0)", e.Message);
        Assert.Throws<KeyNotFoundException>(() => BackgroundFits.Read(WriteEmpty()));   // no BACKGROUND HDU at all
    }

    private string WriteEmpty()
    {
        string path = _dir.File("empty.fits");
        FitsWriter.Write(path, w => w.WriteEmpty(null), overwrite: true);
        return path;
    }

    [SkippableFact]
    public void Astropy_opens_the_BACKGROUND_extension()
    {
        Peers.RequireAstropy();
        var model = Measured(BackgroundInterpolation.Akima);
        string path = _dir.File("astropy.fits");
        FitsWriter.Write(path, w => { w.WriteEmpty(null); BackgroundFits.Write(w, model); });
        string script = _dir.File("read.py");
        File.WriteAllText(script, """
            import sys
            from astropy.io import fits
            with fits.open(sys.argv[1]) as f:
                h = f['BACKGROUND']
                print(h.data.shape[0], h.data.shape[1], h.header['BKGIMW'], h.header['BKGIMH'], h.header['BKGX0'], h.header['BKGY0'],
                      h.header['BKGINTRP'], h.header['BKGSTAT'], repr(float(h.data[2, 3])))
            """);
        var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{script}\" \"{path}\"");
        Assert.True(code == 0, stderr);
        string expected = $"{model.BinsY} {model.BinsX} 203 157 -12 33 AKIMA MEDIAN {(double)model.GetBinValue(3, 2):R}";
        Assert.Equal(expected, stdout.Trim());
    }
}
