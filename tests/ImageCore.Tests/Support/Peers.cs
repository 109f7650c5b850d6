using System.Diagnostics;

namespace ImageCore.Tests.Support;

/// <summary>
/// Runs the peer tools the interop tests check against (Debian's astropy under /usr/bin/python3,
/// cfitsio's fitsverify, gcc with libcfitsio). When a peer is missing the test fails if the CI
/// environment variable is set, and is skipped with the reason otherwise.
/// </summary>
internal static class Peers
{
    public const string Python = "/usr/bin/python3";

    public static string ToolsDir => Path.Combine(AppContext.BaseDirectory, "Interop", "tools");

    public static void RequireAstropy() => Require(Run(Python, "-c \"import astropy, numpy\"").ExitCode == 0,
        "Debian's python3-astropy (/usr/bin/python3 with astropy) is not installed");

    public static void RequireCcdproc() => Require(Run(Python, "-c \"import ccdproc\"").ExitCode == 0,
        "Debian's python3-ccdproc is not installed");

    /// <summary>The repository root (tests/ImageCore.Tests/bin/CONFIG/TFM/ is five levels below it).</summary>
    public static string RepoRoot => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    public static void RequireSwarp() => Require(Which("SWarp"), "SWarp (Debian's swarp) is not installed");

    public static void RequireFitsverify() => Require(Which("fitsverify"), "cfitsio's fitsverify is not installed");

    public static void RequireCfitsioDev() => Require(Which("gcc") && File.Exists("/usr/include/fitsio.h"),
        "gcc and libcfitsio-dev are needed to build the cfitsio fixture writer");

    private static void Require(bool present, string reason)
    {
        if (present) return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Assert.Fail($"{reason} (CI is set, so interop tests must run; .ci/run installs the peers)");
        Skip.If(true, reason);
    }

    private static bool Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    public static (int ExitCode, string Stdout, string Stderr) Run(string exe, string arguments, string? workDir = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(exe, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        try
        {
            using var p = Process.Start(psi)!;
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(300_000)) { p.Kill(true); return (-1, stdout.Result, "timed out"); }
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }

    /// <summary>Runs fitsverify; returns (errors, warnings) and the full report.</summary>
    public static (int Errors, int Warnings, string Report) Fitsverify(string path)
    {
        RequireFitsverify();
        var (_, stdout, stderr) = Run("fitsverify", $"\"{path}\"");   // no -e: warnings count too
        string report = stdout + stderr;
        // fitsverify ends with "**** Verification found N warning(s) and M error(s). ****"
        var m = System.Text.RegularExpressions.Regex.Match(report, @"found (\d+) warning\(s\) and (\d+) error\(s\)");
        Assert.True(m.Success, "fitsverify printed no summary:\n" + report);
        return (int.Parse(m.Groups[2].Value), int.Parse(m.Groups[1].Value), report);
    }

    /// <summary>Asserts fitsverify reports 0 errors and 0 warnings for <paramref name="path"/>.</summary>
    public static void AssertFitsverifyClean(string path)
    {
        var (errors, warnings, report) = Fitsverify(path);
        Assert.True(errors == 0 && warnings == 0, $"fitsverify: {errors} errors, {warnings} warnings for {path}\n{report}");
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imagecore-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
