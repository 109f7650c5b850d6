using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Simulation;

public class OpticsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData("R22_S11", 150.1, 2.2, 0.0)]
    [InlineData("R01_S00", 150.1, 2.2, 37.0)]     // a corner detector: the most distortion
    [InlineData("R43_S22", 10.0, -60.0, 200.0)]
    [InlineData("R10_S02", 45.0, 80.0, 300.0)]     // near the pole
    public void Fitted_detector_wcs_reproduces_the_optical_model(string name, double ra, double dec, double rotPa)
    {
        var cam = CameraModel.LsstCam;
        var pointing = new Pointing(ra, dec, rotPa);
        var det = cam[name];
        var wcs = Optics.DetectorWcs(pointing, cam, det);
        double err = Optics.WcsFitError(pointing, cam, det, wcs);
        output.WriteLine($"{name}: TAN-SIP fit error {err:E2} pixel");
        Assert.True(err < 1e-3, $"{name}: the fitted WCS is {err} pixel from the optical model");
        // Pixel scale about 0.2"/pixel, and the image centre where the focal plane says.
        double scale = Math.Sqrt(Math.Abs(wcs.Cd[0, 0] * wcs.Cd[1, 1] - wcs.Cd[0, 1] * wcs.Cd[1, 0])) * 3600;
        Assert.InRange(scale, 0.199, 0.202);
        var fp = cam.PixelToFocalPlane(det, wcs.CrPix.X, wcs.CrPix.Y);
        Assert.Equal(det.CenterMm.X, fp.X, 9);
        Assert.Equal(det.CenterMm.Y, fp.Y, 9);
    }

    [Fact]
    public void Boresight_is_the_focal_plane_centre_and_north_is_up_at_rotpa_zero()
    {
        var cam = CameraModel.LsstCam;
        var p = new Pointing(150, 2, 0);
        var (ra, dec) = Optics.FocalPlaneToSky(p, cam, 0, 0);
        Assert.Equal(150, ra, 10);
        Assert.Equal(2, dec, 10);
        var (_, decUp) = Optics.FocalPlaneToSky(p, cam, 0, 10);     // +y is North
        Assert.True(decUp > 2);
        var (raLeft, _) = Optics.FocalPlaneToSky(p, cam, -10, 0);   // -x is East (larger RA)
        Assert.True(raLeft > 150);
    }

    [SkippableFact]
    public void Simulated_raws_carry_a_wcs_that_astropy_reads_the_same_way()
    {
        Peers.RequireAstropy();
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R22_S11,R01_S00", Scale = 8, Seed = 4, Visits = 2 });
        foreach (string raw in sim.Raws)
        {
            using var file = FitsFile.Open(raw);
            var wcs = SkyWcs.FromHeader(file[0].Header);
            Assert.True(wcs.HasDistortion);
            string script = "import sys, numpy as np, warnings\nfrom astropy.io import fits\nfrom astropy.wcs import WCS\nwarnings.simplefilter('ignore')\n" +
                            "w = WCS(fits.getheader(sys.argv[1], 0))\npx = np.array([(x, y) for y in np.linspace(-20, 520, 7) for x in np.linspace(-20, 530, 7)])\n" +
                            "for (x, y), (r, d) in zip(px, w.all_pix2world(px, 0)): print(repr(x), repr(y), repr(r), repr(d))\n";
            string scriptPath = dir.File("wcs_dump.py");
            File.WriteAllText(scriptPath, script);
            var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{scriptPath}\" \"{raw}\"");
            Assert.True(code == 0, stderr);
            double worst = 0;
            foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                double[] v = line.Split(' ').Select(t => double.Parse(t.Replace("np.float64(", "").Replace(")", ""), CultureInfo.InvariantCulture)).ToArray();
                var (ra, dec) = wcs.PixelToSky(v[0], v[1]);
                double dRa = (ra - v[2]) * Math.Cos(dec * Math.PI / 180), dDec = dec - v[3];
                worst = Math.Max(worst, Math.Sqrt(dRa * dRa + dDec * dDec));
            }
            output.WriteLine($"{Path.GetFileName(raw)}: largest difference from astropy {worst:E2} deg");
            Assert.True(worst < 1e-9, $"{raw}: {worst} deg from astropy");
        }
    }
}
