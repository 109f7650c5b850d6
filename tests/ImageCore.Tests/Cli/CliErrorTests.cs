using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

/// <summary>Every command's failures are one line on stderr with a non-zero exit code, never a stack trace, and the line
/// says what is wrong in the operator's terms.</summary>
public class CliErrorTests
{
    private static void AssertOneLine(int code, string stderr, string expected)
    {
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Unhandled", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_directory_given_as_a_fits_file()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = InfoCommandTests.Imagecore($"info \"{dir.Path}\"");
        AssertOneLine(code, stderr, "is a directory");
    }

    [SkippableFact]
    public void A_device_given_as_a_fits_file()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero here");
        var (code, _, stderr) = InfoCommandTests.Imagecore("info /dev/zero --stats");
        AssertOneLine(code, stderr, "is a character device, not a regular file");
    }

    [SkippableFact]
    public void A_file_name_that_is_not_utf8()
    {
        Skip.IfNot(File.Exists("/bin/bash"), "needs bash to pass a byte that is not UTF-8");
        using var dir = new TempDir();
        // The name's byte 0xFF reaches .NET as U+FFFD: the file cannot be opened by name, and the message says why.
        // The file is removed in the same shell: .NET cannot name it, so the temporary directory could not be deleted.
        var (code, _, stderr) = Peers.Run("/bin/bash",
            $"-c \"f={dir.Path}/$'\\xff'.fits; touch \\\"$f\\\"; dotnet '{InfoCommandTests.CliDll()}' info \\\"$f\\\"; rc=$?; rm -f \\\"$f\\\"; exit $rc\"");
        AssertOneLine(code, stderr, "not valid UTF-8");
    }

    [Fact]
    public void A_missing_coadd_input_is_named()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = InfoCommandTests.Imagecore($"coadd --out \"{dir.File("c.fits")}\" \"{dir.File("missing.fits")}\"");
        AssertOneLine(code, stderr, "no such file");
    }

    /// <summary>A header promising a <paramref name="size"/> x <paramref name="size"/> image of <paramref name="bitpix"/>
    /// with a TAN WCS, its data a sparse hole (the file holds them all, the disk none).</summary>
    private static string HugeImage(TempDir dir, string name, int size, int bitpix)
    {
        string path = dir.File(name);
        string[] cards =
        [
            "SIMPLE  =                    T", $"BITPIX  = {bitpix,20}", "NAXIS   =                    2", $"NAXIS1  = {size,20}", $"NAXIS2  = {size,20}",
            "CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  =                  1.0", "CRPIX2  =                  1.0", "CRVAL1  =                150.0",
            "CRVAL2  =                  2.0", "CD1_1   =          -5.5555E-05", "CD2_2   =           5.5555E-05", "END",
        ];
        using var fs = new FileStream(path, FileMode.CreateNew);
        fs.Write(System.Text.Encoding.ASCII.GetBytes(string.Concat(cards.Select(c => c.PadRight(80))).PadRight(2880)));
        fs.SetLength(2880 + (long)size * size * Math.Abs(bitpix) / 8);
        return path;
    }

    [Fact]
    public void A_warp_of_an_image_larger_than_the_machine_says_so()
    {
        using var dir = new TempDir();
        string input = HugeImage(dir, "huge.fits", 120_000, -64);
        var (code, _, stderr) = InfoCommandTests.Imagecore($"warp --in \"{input}\" --out \"{dir.File("w.fits")}\" --like \"{input}\" --threads 1");
        AssertOneLine(code, stderr, "not enough memory");
        Assert.Contains("huge.fits, HDU 0", stderr);
        Assert.False(File.Exists(dir.File("w.fits")));
    }

    [Fact]
    public void A_coadd_larger_than_the_machine_says_so_before_reading()
    {
        using var dir = new TempDir();
        string a = HugeImage(dir, "a.fits", 100_000, -32), b = HugeImage(dir, "b.fits", 100_000, -32);
        var (code, _, stderr) = InfoCommandTests.Imagecore($"coadd --out \"{dir.File("c.fits")}\" \"{a}\" \"{b}\"");
        AssertOneLine(code, stderr, "not enough memory");
        Assert.False(File.Exists(dir.File("c.fits")));
    }

    [SkippableFact]
    public void Statistics_of_a_very_wide_row_run_in_bounded_memory()
    {
        Skip.IfNot(File.Exists("/usr/bin/time"), "GNU time (Debian's time) is not installed");
        using var dir = new TempDir();
        string path = HugeImage(dir, "wide.fits", 1, 8);
        // 1 x 400,000,000 bytes: NAXIS1 of the 1 x 1 header rewritten, the hole extended. A row buffer would take 3.2 GB.
        var text = File.ReadAllText(path)[..2880].Replace($"NAXIS1  = {1,20}", $"NAXIS1  = {400_000_000,20}");
        using (var fs = new FileStream(path, FileMode.Create))
        {
            fs.Write(System.Text.Encoding.ASCII.GetBytes(text));
            fs.SetLength(2880 + 400_000_000L);
        }
        var (code, stdout, stderr) = Peers.Run("/usr/bin/time", $"-f \"peak %M kB\" dotnet \"{InfoCommandTests.CliDll()}\" info \"{path}\" --stats --json");
        Assert.True(code == 0, stderr);
        Assert.Contains("400000000", stdout);
        long peakKb = long.Parse(stderr.Split("peak ")[^1].Split(' ')[0]);
        Assert.InRange(peakKb, 1, 300_000);
    }
}
