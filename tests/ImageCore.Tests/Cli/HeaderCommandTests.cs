using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

/// <summary><c>imagecore header FILE [--hdu N|NAME]</c>, run as a process.</summary>
public class HeaderCommandTests
{
    private static (int Code, string Out, string Err) Imagecore(string args) => InfoCommandTests.Imagecore(args);

    private static string[] Lines(string stdout) => stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    [Fact]
    public void Every_hdu_is_printed_as_stored_after_a_fitsheader_heading()
    {
        string sample = TestData.File("sample-mef.fits");
        var (code, stdout, stderr) = Imagecore($"header \"{sample}\"");
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);

        var expected = new List<string>();
        using (var f = FitsFile.Open(sample))
            foreach (var hdu in f.Hdus)
            {
                if (hdu.Index > 0) expected.Add("");
                expected.Add($"# HDU {hdu.Index} in {sample}:");
                expected.AddRange(f.ReadCardImages(hdu).Select(c => c.TrimEnd()));
            }
        Assert.Equal(expected, Lines(stdout));
        Assert.EndsWith("\n", stdout);
        var lines = Lines(stdout);
        Assert.Equal(5, lines.Count(l => l.StartsWith("# HDU ", StringComparison.Ordinal)));
        Assert.All(lines.Where(l => !l.StartsWith("# HDU ", StringComparison.Ordinal)), l => Assert.True(l.Length <= 80 && !l.EndsWith(' '), $"'{l}'"));
        Assert.DoesNotContain("END", lines);
        Assert.Equal(2, lines.Count(l => l.StartsWith("CONTINUE  '", StringComparison.Ordinal)));
        Assert.Contains("COMMENT made by testdata/make_testdata.py", lines);
    }

    [Fact]
    public void One_hdu_by_index_or_by_name_in_any_case()
    {
        using var dir = new TempDir();
        string path = dir.File("one.fits");
        FitsWriter.Write(path, w =>
        {
            w.WriteEmpty(null);
            var h = new FitsHeader();
            h.Set("EXTNAME", "Segment10");
            h.Set("LONGSTR", string.Concat(Enumerable.Repeat("0123456789", 9)), "long");
            h.AddCommentary("HISTORY", "bias subtracted");
            h.AddCommentary("COMMENT", "");
            w.WriteImage(h, new ReadOnlySpan2D<float>(new float[6], 3, 2));
        });
        var (code, stdout, stderr) = Imagecore($"header \"{path}\" --hdu segment10");
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal($"# HDU segment10 in {path}:", lines[0]);   // named as asked, as fitsheader does
        Assert.Equal("XTENSION= 'IMAGE   '           / image extension", lines[1]);
        Assert.Contains("EXTNAME = 'Segment10'", lines);
        Assert.Contains("HISTORY bias subtracted", lines);
        Assert.Contains("COMMENT", lines);   // an empty COMMENT, trimmed
        Assert.Single(lines, l => l.StartsWith("CONTINUE  '", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Length == 0 || l.StartsWith("# HDU 0", StringComparison.Ordinal));

        var (code1, byIndex, _) = Imagecore($"header \"{path}\" --hdu 1");
        Assert.Equal(0, code1);
        Assert.Equal(lines[1..], Lines(byIndex)[1..]);
        Assert.Equal($"# HDU 1 in {path}:", Lines(byIndex)[0]);
    }

    [Theory]
    [InlineData("--hdu 7", "has 5 HDUs; there is no HDU 7", true)]
    [InlineData("--hdu NOSUCH", "no HDU with EXTNAME 'NOSUCH'", true)]
    [InlineData("--hdu=-1", "an HDU index is a whole number from 0", false)]
    public void A_missing_hdu_is_one_line_on_stderr_and_exit_1(string option, string message, bool namesFile)
    {
        string sample = TestData.File("sample-mef.fits");
        var (code, stdout, stderr) = Imagecore($"header \"{sample}\" {option}");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(Lines(stderr));
        Assert.StartsWith("imagecore: error: ", stderr);
        Assert.Contains(message, stderr);
        if (namesFile) Assert.Contains(sample, stderr);
    }

    [Fact]
    public void Missing_and_malformed_files_are_one_line_errors()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Imagecore($"header \"{dir.File("missing.fits")}\"");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("missing.fits: no such file", stderr);

        // A good HDU, then bytes that do not start an extension: the good header is printed, then the error.
        string path = dir.File("tail.fits");
        FitsWriter.Write(path, w => w.WriteEmpty(null));
        File.AppendAllText(path, new string('x', 2880));
        var (code2, stdout2, stderr2) = Imagecore($"header \"{path}\"");
        Assert.Equal(1, code2);
        Assert.StartsWith($"# HDU 0 in {path}:\nSIMPLE  =", stdout2.ReplaceLineEndings("\n"));
        Assert.Contains("tail.fits, HDU 1", stderr2);
        Assert.DoesNotContain("   at ", stderr2);
    }
}
