using System.Text.Json;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

/// <summary>Runs the built <c>imagecore</c> command as a process, as an operator would.</summary>
public class InfoCommandTests
{
    /// <summary>The <c>imagecore</c> app host beside <see cref="CliDll"/> (for scripts that run the command themselves).</summary>
    internal static string CliAppHost() => Path.Combine(Path.GetDirectoryName(CliDll())!, "imagecore");

    internal static string CliDll()
    {
        // tests/ImageCore.Tests/bin/<Configuration>/net10.0/ -> src/ImageCore.Cli/bin/<Configuration>/net10.0/ImageCore.Cli.dll
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string framework = dir.Name, configuration = dir.Parent!.Name;
        var root = dir.Parent!.Parent!.Parent!.Parent!.Parent!;
        string dll = Path.Combine(root.FullName, "src", "ImageCore.Cli", "bin", configuration, framework, "ImageCore.Cli.dll");
        Assert.True(File.Exists(dll), $"the CLI is not built at {dll}");
        return dll;
    }

    internal static (int Code, string Out, string Err) Imagecore(string args, string? stdin = null) => Peers.Run("dotnet", $"\"{CliDll()}\" {args}", stdin: stdin);

    [Fact]
    public void Json_output_has_exactly_the_documented_keys_and_values()
    {
        using var dir = new TempDir();
        string path = dir.File("info.fits");
        float[] pixels = [1, 2, float.NaN, 4, -5, 6];
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(null);
            var h = new FitsHeader();
            h.Set("EXTNAME", "SCI");
            w.WriteImage(h, new ReadOnlySpan2D<float>(pixels, 2, 3));
            w.WriteImage(null, new ReadOnlySpan2D<short>(new short[] { 1, 2, 3, 4 }, 2, 2), new FitsImageOptions { BScale = 2, BZero = 10 });
            w.Commit();
        }
        var (code, stdout, stderr) = Imagecore($"info \"{path}\" --json --stats");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var arr = doc.RootElement;
        Assert.Equal(3, arr.GetArrayLength());
        string[] keys = ["index", "extname", "type", "bitpix", "naxis", "bzero", "bscale", "cards", "stats"];
        foreach (var hdu in arr.EnumerateArray()) Assert.Equal(keys, hdu.EnumerateObject().Select(p => p.Name));
        var sci = arr[1];
        Assert.Equal("SCI", sci.GetProperty("extname").GetString());
        Assert.Equal("ImageHDU", sci.GetProperty("type").GetString());
        Assert.Equal(-32, sci.GetProperty("bitpix").GetInt32());
        Assert.Equal([3, 2], sci.GetProperty("naxis").EnumerateArray().Select(e => e.GetInt32()));
        var s = sci.GetProperty("stats");
        Assert.Equal(["count", "nan", "min", "max", "mean", "sum"], s.EnumerateObject().Select(p => p.Name));
        Assert.Equal(5, s.GetProperty("count").GetInt64());
        Assert.Equal(1, s.GetProperty("nan").GetInt64());
        Assert.Equal(-5, s.GetProperty("min").GetDouble());
        Assert.Equal(6, s.GetProperty("max").GetDouble());
        Assert.Equal(8, s.GetProperty("sum").GetDouble());
        Assert.Equal(1.6, s.GetProperty("mean").GetDouble(), 12);
        var scaled = arr[2];
        Assert.Equal(JsonValueKind.Null, scaled.GetProperty("extname").ValueKind);
        Assert.Equal(10, scaled.GetProperty("bzero").GetDouble());
        Assert.Equal(2, scaled.GetProperty("bscale").GetDouble());
        Assert.Equal(12 + 14 + 16 + 18, scaled.GetProperty("stats").GetProperty("sum").GetDouble());   // physical values

        var (code2, plain, _) = Imagecore($"info \"{path}\"");
        Assert.Equal(0, code2);
        Assert.Contains("SCI", plain);
        var (code3, noStats, _) = Imagecore($"info \"{path}\" --json");
        Assert.Equal(0, code3);
        using var doc3 = JsonDocument.Parse(noStats);
        Assert.All(doc3.RootElement.EnumerateArray(), h => Assert.Equal(JsonValueKind.Null, h.GetProperty("stats").ValueKind));
    }

    [Fact]
    public void Bad_input_goes_to_stderr_with_a_non_zero_exit_code()
    {
        using var dir = new TempDir();
        string notFits = dir.File("not.fits");
        File.WriteAllText(notFits, new string('x', 5000));
        var (code, stdout, stderr) = Imagecore($"info \"{notFits}\" --json");
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout);
        Assert.Contains("not.fits, HDU 0", stderr);
        Assert.DoesNotContain("   at ", stderr);   // a message, not a stack trace

        var (code2, _, stderr2) = Imagecore($"info \"{dir.File("missing.fits")}\"");
        Assert.NotEqual(0, code2);
        Assert.Contains("missing.fits", stderr2);
    }

    [Fact]
    public void Committed_sample_file_is_described()
    {
        var (code, stdout, stderr) = Imagecore($"info \"{TestData.File("sample-mef.fits")}\" --json --stats");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var types = doc.RootElement.EnumerateArray().Select(h => h.GetProperty("type").GetString()!).ToArray();
        Assert.Equal(["PrimaryHDU", "ImageHDU", "ImageHDU", "BinTableHDU", "ImageHDU"], types);
        var blanked = doc.RootElement[4].GetProperty("stats");
        Assert.Equal(1, blanked.GetProperty("nan").GetInt64());
        Assert.Equal("Infinity", doc.RootElement[1].GetProperty("stats").GetProperty("max").GetString());
    }

    [Fact]
    public void Simulate_writes_a_repository_and_names_bad_options()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Imagecore($"simulate --out \"{dir.Path}\" --detectors R22_S11 --scale 8 --seed 3");
        Assert.True(code == 0, stderr);
        Assert.Contains("wrote 1 raw files", stdout);
        Assert.True(File.Exists(Path.Combine(dir.Path, "raw", "000000", "R22_S11.fits")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "calib", "flat", "r", "R22_S11.fits")));
        var (code2, _, stderr2) = Imagecore($"simulate --out \"{dir.Path}\" --scale 5");
        Assert.NotEqual(0, code2);
        Assert.Contains("--scale", stderr2);
    }
}
