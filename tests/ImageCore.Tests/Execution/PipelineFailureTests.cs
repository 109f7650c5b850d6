using ImageCore.Execution;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class PipelineFailureTests
{
    private static readonly SimulationConfig Small = new() { Visits = 2, Detectors = "R22_S11,R22_S12", Scale = 8, Seed = 4, SeeingFwhmArcsec = 6.4 };

    [Fact]
    public void A_failed_quantum_is_reported_its_dependents_are_skipped_and_the_rest_go_on()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("run");
        Simulator.Run(data, Small);
        // Visit 1's R22_S12 raw is cut short: its ISR fails; visit 1's warps that need it are not made.
        string broken = Path.Combine(data, "raw", "000001", "R22_S12.fits");
        var bytes = File.ReadAllBytes(broken);
        File.WriteAllBytes(broken, bytes[..(bytes.Length * 2 / 3)]);

        var report = Pipeline.Run(data, output, new PipelineConfig { Threads = 2 });
        var isr = report.Steps.Single(s => s.Name == "isr");
        Assert.Equal((4, 3, 1), (isr.Quanta, isr.Succeeded, isr.Failed));
        var failure = Assert.Single(report.Failures, f => f.Step == "isr");
        Assert.Contains("R22_S12", failure.Quantum);
        Assert.Equal([broken], failure.Inputs);
        Assert.False(failure.Skipped);
        Assert.False(File.Exists(Path.Combine(output, "postisr", "000001", "R22_S12.fits")));

        var skippedWarps = report.Failures.Where(f => f.Step == "warp").ToList();
        Assert.NotEmpty(skippedWarps);
        Assert.All(skippedWarps, f => Assert.True(f.Skipped && f.Quantum.EndsWith("visit 1", StringComparison.Ordinal) && f.Message.Contains("R22_S12", StringComparison.Ordinal)));
        Assert.Equal(report.Steps.Single(s => s.Name == "warp").Skipped, skippedWarps.Count);
        Assert.Contains(report.Warps, w => w.EndsWith("000000.fits", StringComparison.Ordinal));
        // Every patch visit 0 reached still gets a coadd, from the warps that were made.
        Assert.NotEmpty(report.Coadds);
        Assert.Equal(0, report.Steps.Single(s => s.Name == "coadd").Failed);
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(output, "report.json")));
    }

    [Fact]
    public void A_missing_data_directory_is_a_clear_error()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => Pipeline.Run(dir.File("nothing"), dir.File("out"), new PipelineConfig()));
        Assert.Contains("raw/", e.Message);
    }

    [Fact]
    public void Cancelling_stops_the_run_and_leaves_no_half_written_file()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("run");
        Simulator.Run(data, Small);
        using var cts = new CancellationTokenSource();
        var progress = new Cancel(cts, afterIsrQuanta: 2);
        Assert.ThrowsAny<OperationCanceledException>(() => Pipeline.Run(data, output, new PipelineConfig { Threads = 1 }, progress, cts.Token));
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(output, "coadd")));
    }

    private sealed class Cancel(CancellationTokenSource cts, int afterIsrQuanta) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value)
        {
            if (value.Step == "isr" && value.Done >= afterIsrQuanta) cts.Cancel();
        }
    }
}
