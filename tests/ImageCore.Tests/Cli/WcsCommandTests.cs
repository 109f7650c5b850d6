using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class WcsCommandTests
{
    [Fact]
    public void Pix2sky_and_sky2pix_print_17_significant_digits_of_the_library_values()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R01_S00", Scale = 8, Seed = 3 });
        using var file = FitsFile.Open(sim.Raws[0]);
        var wcs = SkyWcs.FromHeader(file[0].Header);
        double[][] pixels = [[0, 0], [100.25, 300.5], [-10, 520]];
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"wcs \"{sim.Raws[0]}\" pix2sky",
                                                                string.Join("\n", pixels.Select(p => $"{p[0]} {p[1]}")) + "\n# a comment\n");
        Assert.True(code == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("# a comment", lines[3]);
        for (int i = 0; i < pixels.Length; i++)
        {
            double[] sky = lines[i].Split(' ').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(wcs.PixelToSky(pixels[i][0], pixels[i][1]), (sky[0], sky[1]));   // exact: G17 round-trips
        }
        var (code2, back, stderr2) = InfoCommandTests.Imagecore($"wcs \"{sim.Raws[0]}\" sky2pix --hdu 0", string.Join("\n", lines[..3]) + "\n");
        Assert.True(code2 == 0, stderr2);
        string[] pix = back.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < pixels.Length; i++)
        {
            double[] p = pix[i].Split(' ').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(pixels[i][0], p[0], 8);
            Assert.Equal(pixels[i][1], p[1], 8);
        }
    }

    [Fact]
    public void Bad_lines_and_files_without_a_wcs_are_errors()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R22_S11", Scale = 8, Seed = 3 });
        var (code, _, stderr) = InfoCommandTests.Imagecore($"wcs \"{sim.Raws[0]}\" pix2sky", "1 2\n3 x\n");
        Assert.Equal(1, code);
        Assert.Contains("line 2", stderr);
        var (code2, _, stderr2) = InfoCommandTests.Imagecore($"wcs \"{Path.Combine(Peers.RepoRoot, "testdata", "sample-mef.fits")}\" pix2sky", "1 2\n");
        Assert.Equal(1, code2);
        Assert.Contains("no HDU has a WCS", stderr2);
        var (code3, _, _) = InfoCommandTests.Imagecore($"wcs \"{sim.Raws[0]}\" sideways", "1 2\n");
        Assert.NotEqual(0, code3);
    }
}
