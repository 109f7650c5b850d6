using System.Text.Json;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class RunCommandTests
{
    [Fact]
    public void Runs_the_pipeline_with_plain_progress_lines_and_exit_code_2_when_a_quantum_fails()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("run");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"simulate --out \"{data}\" --detectors R22_S11,R22_S21 --scale 8 --visits 1");
        Assert.True(code == 0, stderr);

        (code, string stdout, stderr) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{output}\" --threads 2 --statistic mean");
        Assert.True(code == 0, stderr);
        Assert.Contains("isr: 2 quanta", stdout);
        Assert.Contains("isr 2/2", stdout);
        Assert.Contains("coadd: ", stdout);
        Assert.Contains("report: ", stdout);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json"))))
            Assert.Equal(0, json.RootElement.GetProperty("failures").GetArrayLength());
        string coadd = Directory.GetFiles(Path.Combine(output, "coadd"), "*.fits", SearchOption.AllDirectories)[0];
        using (var f = ImageCore.Fits.FitsFile.Open(coadd)) Assert.Equal("MEAN", f[0].Header.GetString("COADDSTA"));

        File.Delete(Path.Combine(data, "calib", "bias", "R22_S21.fits"));
        (code, stdout, stderr) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{dir.File("run2")}\" --threads 1");
        Assert.Equal(2, code);
        Assert.Contains("R22_S21", stderr);
        Assert.Contains("bias", stderr);
        Assert.Contains("isr: 1/2 succeeded, 1 failed", stdout);
    }

    [Fact]
    public void Bad_options_are_clear_errors()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = InfoCommandTests.Imagecore($"run --data \"{dir.Path}\" --out \"{dir.File("o")}\"");
        Assert.Equal(1, code);
        Assert.Contains("raw/", stderr);
        (code, _, stderr) = InfoCommandTests.Imagecore($"run --data \"{dir.Path}\" --out \"{dir.File("o")}\" --statistic mode");
        Assert.Equal(1, code);
        Assert.Contains("--statistic", stderr);
    }
}
