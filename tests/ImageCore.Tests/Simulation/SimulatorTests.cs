using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Simulation;

public class SimulatorTests
{
    private static readonly SimulationConfig Small = new() { Detectors = "R22_S11,R10_S02", Scale = 8, Visits = 2, Seed = 11 };

    [SkippableFact]
    public void Every_file_passes_fitsverify_and_raw_sections_agree_with_the_camera()
    {
        using var dir = new TempDir();
        var result = Simulator.Run(dir.Path, Small);
        Assert.Equal(4, result.Raws.Count);
        Assert.Equal(14, result.Calibrations.Count);   // bias, dark, flat, amplifier table, defects, crosstalk, linearity per detector
        foreach (string f in result.Raws.Concat(result.Calibrations).Concat(result.Truth).Where(p => p.EndsWith(".fits")))
            Peers.AssertFitsverifyClean(f);
        var cam = CameraModel.LsstCam.Scaled(8);
        foreach (string raw in result.Raws)
        {
            using var f = FitsFile.Open(raw);
            var det = cam[f[0].Header.GetString("DETNAME")];
            Assert.Equal(det.Id, f[0].Header.GetInt32("DETECTOR"));
            foreach (string key in new[] { "EXPTIME", "DARKTIME", "MJD-OBS", "RA", "DEC", "ROTPA" }) Assert.True(f[0].Header.Contains(key), key);
            Assert.Equal("r", f[0].Header.GetString("BAND"));
            using var untrimmed = RawAssembly.ReadUntrimmed(f, det);   // checks DATASEC and BIASSEC against the camera
            for (int i = 0; i < 16; i++)
            {
                var detsec = IrafSection.Parse(f[i + 1].Header.GetString("DETSEC"));
                Assert.Equal((det.Amplifiers[i].BBox, det.Amplifiers[i].FlipX, det.Amplifiers[i].FlipY), (detsec.Box, detsec.FlipX, detsec.FlipY));
            }
        }
    }

    [Fact]
    public void The_same_seed_writes_the_same_files()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var config = Small with { Visits = 1, Detectors = "R22_S11" };
        var ra = Simulator.Run(a.Path, config);
        Simulator.Run(b.Path, config);
        Simulator.Run(c.Path, config with { Seed = 12 });
        foreach (string f in ra.Raws.Concat(ra.Calibrations).Concat(ra.Truth))
        {
            string rel = Path.GetRelativePath(a.Path, f);
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(b.Path, rel)));
        }
        string raw = Path.GetRelativePath(a.Path, ra.Raws[0]);
        Assert.NotEqual(File.ReadAllBytes(ra.Raws[0]), File.ReadAllBytes(Path.Combine(c.Path, raw)));
    }

    [Fact]
    public void Bad_options_are_named()
    {
        using var dir = new TempDir();
        Assert.Contains("--scale", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, Small with { Scale = 3 })).Message);
        Assert.Contains("R99", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, Small with { Detectors = "R99" })).Message);
        Assert.Contains("--band", Assert.Throws<ArgumentException>(() => Simulator.Run(dir.Path, Small with { Band = "q" })).Message);
        Assert.Equal(9, Simulator.SelectDetectors(CameraModel.LsstCam, "R22").Count);
        Assert.Equal(189, Simulator.SelectDetectors(CameraModel.LsstCam, "all").Count);
    }
}
