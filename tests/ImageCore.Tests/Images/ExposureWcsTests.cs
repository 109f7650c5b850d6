using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Images;

public class ExposureWcsTests
{
    [SkippableFact]
    public void Every_plane_repeats_the_wcs_in_its_own_file_pixels()
    {
        using var dir = new TempDir();
        var wcs = new SkyWcs((100.5, 200.25), (150.1, 2.2), new double[,] { { -5.5e-5, 1e-6 }, { 1.2e-6, 5.5e-5 } });
        var metadata = new FitsHeader();
        wcs.WriteTo(metadata);
        using var exposure = new Exposure(new MaskedImage(40, 30, new Point2I(-7, 4096)), metadata);
        string path = dir.File("e.fits");
        ExposureFits.Write(path, exposure);
        Peers.AssertFitsverifyClean(path);
        using var file = FitsFile.Open(path);
        foreach (string plane in new[] { "IMAGE", "MASK", "VARIANCE" })
        {
            var planeWcs = SkyWcs.FromHeader(file.GetHdu(plane).Header);
            // File pixel (0, 0) of the plane is parent pixel xy0 = (-7, 4096).
            Assert.Equal(wcs.PixelToSky(-7, 4096), planeWcs.PixelToSky(0, 0));
        }
        using var back = ExposureFits.Read(path);
        Assert.Equal(wcs.PixelToSky(3, 4), SkyWcs.FromHeader(back.Metadata).PixelToSky(3, 4));
    }
}
