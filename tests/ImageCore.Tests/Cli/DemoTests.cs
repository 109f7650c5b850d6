using ImageCore.Cli;
using ImageCore.Execution;
using ImageCore.Tests.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class DemoTests
{
    [Fact]
    public void The_demo_writes_previews_that_are_neither_black_nor_white()
    {
        using var dir = new TempDir();
        var small = Demo.DefaultSimulation with { Visits = 3, Detectors = "R22_S11,R22_S12", Seed = 4 };
        var result = Demo.Run(dir.Path, new PipelineConfig { Threads = 2 }, small);
        Assert.Equal(["raw.png", "postisr.png", "calexp.png", "warp.png", "psfmatchedwarp.png", "coadd.png"], result.Previews.Select(Path.GetFileName));
        foreach (string png in result.Previews)
        {
            var (w, h, px) = PngPreviewTests.Decode(File.ReadAllBytes(png));
            Assert.True(w > 50 && h > 50, png);
            double black = px.Count(b => b == 0) / (double)px.Length, white = px.Count(b => b == 255) / (double)px.Length;
            double mean = px.Average(b => (double)b);
            double std = Math.Sqrt(px.Average(b => (b - mean) * (b - mean)));
            Assert.True(black < 0.9 && white < 0.5 && std > 5, $"{png}: {black:P0} black, {white:P0} white, std {std:F1}");
        }
        Assert.NotEmpty(result.Report.Coadds);
    }
}
