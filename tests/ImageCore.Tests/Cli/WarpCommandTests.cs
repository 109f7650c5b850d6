using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class WarpCommandTests
{
    [SkippableFact]
    public void Warp_of_a_post_isr_exposure_onto_a_patch_is_a_valid_exposure_on_the_patch_grid()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R22_S11", Scale = 8, Seed = 6 });
        string post = dir.File("post.fits"), warped = dir.File("warp.fits");
        using (var raw = FitsFile.Open(sim.Raws[0]))
        using (var e = IsrTask.Run(raw, CameraModel.LsstCam, new CalibrationDirectory(Path.Combine(dir.Path, "calib")), new IsrConfig()))
            ExposureFits.Write(post, e);
        var wcs = SkyWcs.FromHeader(ExposureFits.Read(post).Metadata);
        var (ra, dec) = wcs.PixelToSky(wcs.CrPix.X, wcs.CrPix.Y);
        // SIMSCALE 8: the sky map binned 8x as imagecore run uses it (1.6" pixels, patches 425 pixels across), with the
        // tract and patch ids of the full-size sky.
        var map = new RingsSkyMap(new SkyMapConfig().ForScale(8));
        var tract = map.FindTract(ra, dec);
        var patch = tract.FindPatch(ra, dec)!;
        var full = new RingsSkyMap().FindTract(ra, dec);
        Assert.Equal(full.Id, tract.Id);
        Assert.Equal(full.FindPatch(ra, dec)!.Sequential(full), patch.Sequential(tract));
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"warp --in \"{post}\" --out \"{warped}\" --tract {tract.Id} --patch {patch.Sequential(tract)} --threads 2");
        Assert.True(code == 0, stderr);
        Assert.Contains("good pixels", stdout);
        Peers.AssertFitsverifyClean(warped);
        using var result = ExposureFits.Read(warped);
        Assert.Equal((425, 425), (result.BBox.Width, result.BBox.Height));
        var target = SkyWcs.FromHeader(result.Metadata);
        var (r2, d2) = target.PixelToSky(212, 212);
        var (r3, d3) = tract.Wcs.PixelToSky(patch.Outer.MinX + 212, patch.Outer.MinY + 212);
        Assert.Equal(r3, r2, 10);
        Assert.Equal(d3, d2, 10);
        // Where the detector landed the sky is conserved as surface brightness: 64,000 e- per 1.6" pixel, the data's own pixel size.
        var mi = result.MaskedImage;
        int noData = mi.Mask.GetBitMask("NO_DATA");
        var (px, py) = target.SkyToPixel(ra, dec);
        Assert.Equal(0, mi.Mask.Image[(int)px, (int)py] & noData);
        double sum = 0;
        int n = 0;
        for (int y = (int)py - 10; y < (int)py + 10; y++)
            for (int x = (int)px - 10; x < (int)px + 10; x++)
                if ((mi.Mask.Image[x, y] & (noData | mi.Mask.GetBitMask("SAT", "BAD"))) == 0 && float.IsFinite(mi.Image[x, y])) { sum += mi.Image[x, y]; n++; }
        Assert.InRange(sum / n, 60_800, 70_400);
    }

    [Fact]
    public void Target_options_must_be_like_or_tract_and_patch()
    {
        var (code, _, stderr) = InfoCommandTests.Imagecore("warp --in a.fits --out b.fits --tract 1");
        Assert.Equal(1, code);
        Assert.Contains("--tract and --patch", stderr);
    }
}
