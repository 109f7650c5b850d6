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
        var (code, _, stderr) = Peers.Run("/bin/bash", $"-c \"touch {dir.Path}/$'\\xff'.fits; dotnet '{InfoCommandTests.CliDll()}' info {dir.Path}/$'\\xff'.fits\"");
        AssertOneLine(code, stderr, "not valid UTF-8");
    }

    [Fact]
    public void A_missing_coadd_input_is_named()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = InfoCommandTests.Imagecore($"coadd --out \"{dir.File("c.fits")}\" \"{dir.File("missing.fits")}\"");
        AssertOneLine(code, stderr, "no such file");
    }
}
