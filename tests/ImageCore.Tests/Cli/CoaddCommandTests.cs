using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public sealed class CoaddCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imagecore-coadd-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Warp(string name, float value, float variance)
    {
        using var mi = new MaskedImage(12, 9);
        mi.Image.Pixels.Fill(value);
        mi.Variance.Pixels.Fill(variance);
        string path = Path.Combine(_dir, name);
        ExposureFits.Write(path, new Exposure(mi, TestWcs.Header()));
        return path;
    }

    [Fact]
    public void Coadds_warps_with_inverse_variance_weights()
    {
        string a = Warp("a.fits", 10, 1), b = Warp("b.fits", 20, 4), output = Path.Combine(_dir, "coadd.fits");
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"coadd --out \"{output}\" --statistic mean --threads 1 \"{a}\" \"{b}\"");
        Assert.True(code == 0, stderr);
        Assert.Contains("coadded 2 of 2 warps (MEAN)", stdout);
        using var coadd = ExposureFits.Read(output);
        // Weights 1 and 1/4: (10 + 20/4) / 1.25 = 12; variance (1 + 4/16) / 1.25^2 = 0.8.
        Assert.Equal(12f, coadd.MaskedImage.Image.Pixels[4, 5], 5);
        Assert.Equal(0.8f, coadd.MaskedImage.Variance.Pixels[4, 5], 5);
        Assert.Equal("MEAN", coadd.Metadata.Find("COADDSTA")!.Value);
    }

    [Fact]
    public void A_missing_input_is_a_clear_error_and_no_output()
    {
        string a = Warp("a.fits", 10, 1), output = Path.Combine(_dir, "coadd.fits");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"coadd --out \"{output}\" \"{a}\" \"{Path.Combine(_dir, "missing.fits")}\"");
        Assert.Equal(1, code);
        Assert.Contains("missing.fits", stderr);
        Assert.False(File.Exists(output));
    }
}
