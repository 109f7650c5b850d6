using System.Text.Json;
using ImageCore.Fits;
using ImageCore.Tests.Fits;
using ImageCore.Tests.Support;
using static ImageCore.Tests.Cli.InfoCommandTests;

namespace ImageCore.Tests.Cli;

/// <summary><c>imagecore verify</c> and the checksum warnings of <c>imagecore info</c>, run as an operator would.</summary>
public class VerifyCommandTests
{
    private static string StaleDatasum(TempDir dir)
    {
        byte[] b = VerifierTests.WriterMef();
        using (var f = new FitsFile(new MemoryStream(b, writable: false), "x")) b[f.Hdus[1].DataOffset] ^= 1;
        string path = dir.File("stale.fits");
        File.WriteAllBytes(path, b);
        return path;
    }

    [Fact]
    public void Exit_code_is_0_for_clean_files_and_warnings_2_for_errors_1_for_usage()
    {
        using var dir = new TempDir();
        string good = dir.File("good.fits"), bad = dir.File("bad.fits");
        File.WriteAllBytes(good, VerifierTests.WriterMef());
        File.WriteAllBytes(bad, [.. VerifierTests.WriterMef(), .. new byte[10]]);
        string stale = StaleDatasum(dir);

        var (code, stdout, _) = Imagecore($"verify \"{good}\" \"{stale}\"");
        Assert.Equal(0, code);
        Assert.Contains("good.fits: OK (3 HDUs, 0 errors, 0 warnings)", stdout);
        Assert.Contains("stale.fits: OK (3 HDUs, 0 errors, 2 warnings)", stdout);
        Assert.Contains("warning: HDU 1, card", stdout);

        var (code2, stdout2, _) = Imagecore($"verify \"{good}\" \"{bad}\" \"{dir.File("missing.fits")}\"");
        Assert.Equal(2, code2);
        Assert.Contains("bad.fits: FAILED", stdout2);
        Assert.Contains("extra bytes after the last HDU", stdout2);
        Assert.Contains("missing.fits: FAILED", stdout2);

        var (code3, _, _) = Imagecore("verify");
        Assert.Equal(1, code3);
    }

    [Fact]
    public void Json_has_one_object_per_file_with_its_findings()
    {
        using var dir = new TempDir();
        string stale = StaleDatasum(dir);
        var (code, stdout, stderr) = Imagecore($"verify --json \"{TestData.File("sample-mef.fits")}\" \"{stale}\"");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var files = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, files.Length);
        Assert.Equal(["file", "ok", "hdus", "errors", "warnings", "findings"], files[1].EnumerateObject().Select(p => p.Name));
        Assert.True(files[0].GetProperty("ok").GetBoolean());
        Assert.Equal(5, files[0].GetProperty("hdus").GetInt32());
        var finding = files[1].GetProperty("findings")[0];
        Assert.Equal(["severity", "hdu", "card", "keyword", "offset", "message"], finding.EnumerateObject().Select(p => p.Name));
        Assert.Equal("warning", finding.GetProperty("severity").GetString());
        Assert.Equal(1, finding.GetProperty("hdu").GetInt32());
    }

    [Fact]
    public void Info_warns_on_stderr_when_a_sum_does_not_verify_and_keeps_json_valid()
    {
        using var dir = new TempDir();
        string stale = StaleDatasum(dir);
        var (code, stdout, stderr) = Imagecore($"info \"{stale}\" --json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(3, doc.RootElement.GetArrayLength());
        Assert.Contains("stale.fits, HDU 1: DATASUM does not verify", stderr);
        Assert.Contains("stale.fits, HDU 1: CHECKSUM does not verify", stderr);
        Assert.DoesNotContain("HDU 2", stderr);

        var (code2, _, stderr2) = Imagecore($"info \"{TestData.File("sample-mef.fits")}\"");
        Assert.Equal(0, code2);
        Assert.Equal("", stderr2);
    }
}
