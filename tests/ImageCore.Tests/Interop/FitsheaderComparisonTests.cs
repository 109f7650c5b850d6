using ImageCore.Fits;
using ImageCore.Tests.Cli;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Interop;

/// <summary>
/// <c>imagecore header</c> prints what astropy's <c>fitsheader</c> prints, on files written by ImageCore and by astropy
/// (Interop/tools/fitsheader_astropy.py), and an EXTNAME written by astropy in mixed case is found in any case.
/// </summary>
public class FitsheaderComparisonTests
{
    private static string Tool => Path.Combine(Peers.ToolsDir, "fitsheader_astropy.py");

    /// <summary>astropy's fitsheader output in ImageCore's form: astropy 5.2 prints a long string and its CONTINUE
    /// cards as one line of 80 x k characters and keeps trailing blanks; here each card is a line, trimmed.</summary>
    private static string[] Normalized(string fitsheader)
    {
        var lines = new List<string>();
        foreach (string line in fitsheader.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith("# HDU ", StringComparison.Ordinal)) { lines.Add(line); continue; }
            for (int at = 0; at < line.Length; at += 80) lines.Add(line.Substring(at, Math.Min(80, line.Length - at)).TrimEnd(' '));
        }
        return [.. lines];
    }

    private static string[] Lines(string stdout) => stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    private static void AssertSameAsFitsheader(string path, string? hdu = null)
    {
        var (pyCode, pyOut, pyErr) = Peers.Run(Peers.Python, $"\"{Tool}\" print \"{path}\"" + (hdu is null ? "" : $" {hdu}"));
        Assert.True(pyCode == 0, $"fitsheader failed: {pyErr}");
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"header \"{path}\"" + (hdu is null ? "" : $" --hdu {hdu}"));
        Assert.True(code == 0, stderr);
        Assert.Equal(Normalized(pyOut), Lines(stdout));
    }

    [SkippableFact]
    public void Header_command_matches_fitsheader_on_imagecore_and_astropy_files()
    {
        Peers.RequireAstropy();
        using var dir = new TempDir();
        var (code, _, stderr) = Peers.Run(Peers.Python, $"\"{Tool}\" make \"{dir.Path}\"");
        Assert.True(code == 0, $"fitsheader_astropy.py make failed: {stderr}");
        string astropyMef = dir.File("astropy_mef.fits");
        AssertSameAsFitsheader(astropyMef);
        AssertSameAsFitsheader(astropyMef, "1");
        AssertSameAsFitsheader(astropyMef, "SEGMENT10");   // astropy ignores the case too
        AssertSameAsFitsheader(astropyMef, "catalog");

        string simple = dir.File("simple.fits");
        var header = new FitsHeader();
        header.Set("OBJECT", "NGC 1300");
        header.AddCommentary("HISTORY", "written by ImageCore");
        ImageCore.Fits.Fits.WriteImage(simple, new CommunityToolkit.HighPerformance.ReadOnlySpan2D<float>(new float[20], 5, 4), header);
        AssertSameAsFitsheader(simple);
        AssertSameAsFitsheader(TestData.File("sample-mef.fits"));
    }

    [SkippableFact]
    public void An_astropy_written_mixed_case_extname_is_found_in_any_case()
    {
        Peers.RequireAstropy();
        using var dir = new TempDir();
        var (code, _, stderr) = Peers.Run(Peers.Python, $"\"{Tool}\" make \"{dir.Path}\"");
        Assert.True(code == 0, $"fitsheader_astropy.py make failed: {stderr}");
        string path = dir.File("astropy_mef.fits");
        using (var f = FitsFile.Open(path))
        {
            Assert.Equal("Segment10", f[1].ExtName);
            Assert.Equal(1, f.GetHdu("SEGMENT10").Index);
            Assert.Equal(1, f["segment10 "].Index);
            Assert.Equal(2, f.GetHdu("catalog").Index);
        }
        using var plane = ImageCore.Fits.Fits.ReadImage<short>(path, "SEGMENT10");
        Assert.Equal(11, plane[3, 2]);
        Assert.Equal("Segment10", ImageCore.Fits.Fits.ReadHeader(path, "segment10").GetString("EXTNAME"));
    }
}
