using System.Diagnostics;
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

    [Fact]
    public void Settings_are_named_by_their_options()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = InfoCommandTests.Imagecore($"run --data \"{dir.Path}\" --out \"{dir.File("o")}\" --threads 0");
        Assert.Equal(1, code);
        Assert.Equal("imagecore: error: --threads must be >= 1 (is 0)", stderr.Trim());
        Assert.False(Directory.Exists(dir.File("o")));
    }

    [Fact]
    public void An_isr_configuration_changes_every_isr_quantum_and_a_bad_one_is_one_error_line_before_any_work()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"simulate --out \"{data}\" --detectors R22_S11 --scale 8 --visits 1");
        Assert.True(code == 0, stderr);
        byte[] PostIsr(string run, string? config)
        {
            var (c, _, err) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{dir.File(run)}\" --threads 1 --until isr"
                                                         + (config is null ? "" : $" --isr-config \"{config}\""));
            Assert.True(c == 0, err);
            return File.ReadAllBytes(Path.Combine(dir.File(run), "postisr", "000000", "R22_S11.fits"));
        }
        string defaults = dir.File("defaults.json"), noFlat = dir.File("noflat.json");
        File.WriteAllText(defaults, "{}");
        File.WriteAllText(noFlat, "{\"Flat\": {\"Enabled\": false}}");
        byte[] plain = PostIsr("plain", null);
        Assert.Equal(plain, PostIsr("defaults", defaults));
        Assert.NotEqual(plain, PostIsr("noflat", noFlat));

        foreach (var (content, expected) in new[]
                 {
                     ("{\"Suspect\": {\"FractionOfSaturation\": 2}}", "IsrConfig.Suspect.FractionOfSaturation"),
                     ("{\"Flat\": {\"Enable\": false}}", "Enable"),
                     ("not json", "bad.json"),
                 })
        {
            string bad = dir.File("bad.json");
            File.WriteAllText(bad, content);
            string output = dir.File("never");
            (code, string stdout, stderr) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{output}\" --isr-config \"{bad}\"");
            Assert.Equal(1, code);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"imagecore: error: {bad}: ", line, StringComparison.Ordinal);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(output), "nothing is done before the configuration is checked");
        }
    }

    [SkippableTheory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_signal_during_a_run_stops_it_with_the_shell_exit_code_and_no_temporary_or_half_written_files(string signal, int expectedCode)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "signals are sent with kill(1) and read back from /proc");
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("run");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"simulate --out \"{data}\" --detectors R22_S11,R22_S12 --scale 8 --visits 2");
        Assert.True(code == 0, stderr);

        // A slow calibration store (1 s per read, 14 reads on 2 threads) keeps ISR alone busy for several seconds, so the
        // signal lands mid-run.
        var start = new ProcessStartInfo("dotnet", $"\"{InfoCommandTests.CliDll()}\" run --data \"{data}\" --out \"{output}\" --threads 2 --calib-latency 1000")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var run = Process.Start(start)!;
        var started = new ManualResetEventSlim();
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // The child's lines are read on threads of their own: the asynchronous readers run on the thread pool, which the
        // rest of a parallel test run can starve for seconds, and then "isr:" would be seen only after the run had ended.
        Thread Reader(StreamReader from, bool signalsStart)
        {
            var thread = new Thread(() =>
            {
                while (from.ReadLine() is { } line)
                {
                    lines.Enqueue(line);
                    if (signalsStart && line.StartsWith("isr: ", StringComparison.Ordinal)) started.Set();
                }
            }) { IsBackground = true };
            thread.Start();
            return thread;
        }
        var readers = new[] { Reader(run.StandardOutput, true), Reader(run.StandardError, false) };
        Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "the run never started ISR: " + string.Join("\n", lines));
        Thread.Sleep(500);
        Assert.False(run.HasExited, "the run finished before the signal: " + string.Join("\n", lines));
        // A process started with SIGINT ignored (a background job of a non-interactive shell) keeps it ignored, as the
        // runtime honours an inherited SIG_IGN; then Ctrl-C cannot reach it and this case says so instead of failing.
        if (signal == "INT")
        {
            string sigIgn = File.ReadLines($"/proc/{run.Id}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))[7..].Trim();
            bool ignored = (Convert.ToUInt64(sigIgn, 16) & (1UL << (2 - 1))) != 0;
            if (ignored)
            {
                run.Kill();
                Skip.If(true, "this test process was started with SIGINT ignored, so its children inherit that");
            }
        }
        var (killCode, _, killErr) = Peers.Run("kill", $"-s {signal} {run.Id}");
        Assert.True(killCode == 0, killErr);
        bool exited = run.WaitForExit(TimeSpan.FromSeconds(30));
        if (!exited) run.Kill();
        Assert.True(exited, "the run did not stop within 30 s of SIG" + signal);
        run.WaitForExit();
        foreach (var reader in readers) reader.Join(TimeSpan.FromSeconds(10));
        string all = string.Join("\n", lines);
        Assert.True(run.ExitCode == expectedCode, $"exit {run.ExitCode}: {all}");
        Assert.Contains(signal == "INT" ? "cancelled" : "terminated (SIGTERM)", all);
        var files = Directory.Exists(output) ? Directory.GetFiles(output, "*", SearchOption.AllDirectories) : [];
        Assert.DoesNotContain(files, f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
        foreach (string fits in files.Where(f => f.EndsWith(".fits", StringComparison.Ordinal)))
            using (var f = ImageCore.Fits.FitsFile.Open(fits)) Assert.True(f.Hdus.Count > 1, fits);
    }
}
