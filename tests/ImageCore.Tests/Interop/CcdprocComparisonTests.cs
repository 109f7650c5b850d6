using ImageCore.Fits;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Interop;

/// <summary>
/// The same simulated raw through astropy's ccdproc (benchmarks/peers/ccdproc_isr.py: median-per-row
/// overscan, trim, gain, bias, scaled dark, flat) and through ImageCore's ISR with the steps ccdproc
/// lacks switched off (crosstalk, linearity, interpolation, and the parallel overscan). At 1/8 scale the
/// serial overscan is 7 columns wide, so ImageCore is asked for ccdproc's overscan (no skipped columns, no
/// clipping) to compare like with like; at full size ImageCore keeps its default overscan (3 + 3 columns
/// skipped, 3-sigma clipping) and only the per-row estimates differ.
/// </summary>
public class CcdprocComparisonTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("R22_S11", 8)]
    [InlineData("R01_S00", 8)]
    [InlineData("R01_S00", 1)]
    public void Per_amplifier_means_agree_with_ccdproc_within_a_tenth_of_an_electron(string name, int scale)
    {
        Peers.RequireCcdproc();
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = name, Scale = scale, Seed = 21 });
        string calib = Path.Combine(dir.Path, "calib"), peer = dir.File("ccdproc.fits");
        var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{Path.Combine(Peers.RepoRoot, "benchmarks", "peers", "ccdproc_isr.py")}\" \"{sim.Raws[0]}\" \"{calib}\" \"{peer}\"");
        Assert.True(code == 0, $"ccdproc_isr.py failed:\n{stdout}\n{stderr}");

        var config = new IsrConfig
        {
            Overscan = scale == 1 ? new OverscanConfig() : new OverscanConfig { LeadingToSkip = 0, TrailingToSkip = 0, NumSigmaClip = 1e6, MaxDeviation = 1e9 },
            Saturation = new IsrStepConfig { Enabled = false },
            Defects = new IsrStepConfig { Enabled = false },
            Interpolation = new IsrStepConfig { Enabled = false },   // ccdproc leaves the hot columns as they are
            Crosstalk = new IsrStepConfig { Enabled = false },       // and knows neither crosstalk
            Linearity = new IsrStepConfig { Enabled = false },       // nor non-linearity
            ParallelOverscan = new ParallelOverscanConfig { Enabled = false },   // nor a parallel overscan
        };
        using var raw = FitsFile.Open(sim.Raws[0]);
        using var ours = IsrTask.Run(raw, ImageCore.Camera.CameraModel.LsstCam, new CalibrationDirectory(calib), config);
        var det = IsrTask.FindDetector(raw, ImageCore.Camera.CameraModel.LsstCam);
        using var theirsFile = FitsFile.Open(peer);
        using var theirs = theirsFile.ReadImage<double>(theirsFile[0]);
        double worst = 0, worstPixel = 0;
        foreach (var amp in det.Amplifiers)
        {
            double sum = 0;
            for (int y = amp.BBox.MinY; y <= amp.BBox.MaxY; y++)
                for (int x = amp.BBox.MinX; x <= amp.BBox.MaxX; x++)
                {
                    double d = ours.MaskedImage.Image[x, y] - theirs[x, y];
                    sum += d;
                    worstPixel = Math.Max(worstPixel, Math.Abs(d));
                }
            double mean = sum / amp.BBox.Area;
            worst = Math.Max(worst, Math.Abs(mean));
            Assert.True(Math.Abs(mean) < 0.1, $"{name} {amp.Name}: mean difference {mean:F4} e-");
        }
        output.WriteLine($"{name} at 1/{scale} scale: largest per-amplifier mean difference {worst:F4} e-, largest pixel difference {worstPixel:F4} e-");
    }
}
