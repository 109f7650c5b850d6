using System.Globalization;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Psf;

public class CoaddPsfTests
{
    private const double Scale = WarpedPsfTests.Scale;

    /// <summary>The coadd frame: 0.2"/pixel, north up, pixel (0, 0) at (150, 2) shifted by the crpix.</summary>
    private static SkyWcs CoaddWcs() => new((400, 300), (150, 2), WarpedPsfTests.Cd(Scale, 0));

    /// <summary>A detector in the coadd's own pixels (same tangent point and CD) whose pixel (0, 0) is coadd pixel
    /// (<paramref name="x0"/>, <paramref name="y0"/>).</summary>
    private static SkyWcs Aligned(int x0, int y0) => new((400 - x0, 300 - y0), (150, 2), WarpedPsfTests.Cd(Scale, 0));

    private static float[,] Kernel(IPsf psf, double x, double y) => psf.ComputeKernelImage(x, y);

    [Fact]
    public void Covering_components_are_averaged_with_their_weights_on_one_centre()
    {
        // A covers coadd columns 0..199, B 150..349: both at 170, A alone at 50, B alone at 300, none at 500.
        var ga = new GaussianPsf(15, 1.5);
        var gb = new DoubleGaussianPsf(25, 2.2, 5, 0.1);
        var coadd = new CoaddPsf(
        [
            new CoaddPsfComponent(ga, Aligned(0, 0), new Box2I(0, 0, 200, 100), 2, 11, "R22_S00"),
            new CoaddPsfComponent(gb, Aligned(150, 0), new Box2I(0, 0, 200, 100), 0.5, 12, "R22_S01"),
        ], CoaddWcs());
        Assert.Equal(25, coadd.KernelSize);
        var ka = Kernel(ga, 0, 0);
        var kb = Kernel(gb, 0, 0);
        var both = Kernel(coadd, 170, 40);
        for (int j = 0; j < 25; j++)
            for (int i = 0; i < 25; i++)
            {
                double a = i >= 5 && i < 20 && j >= 5 && j < 20 ? ka[j - 5, i - 5] : 0;
                Assert.Equal((2 * a + 0.5 * kb[j, i]) / 2.5, both[j, i], 6);
            }
        var onlyA = Kernel(coadd, 50, 40);
        var onlyB = Kernel(coadd, 300, 40);
        for (int j = 0; j < 25; j++)
            for (int i = 0; i < 25; i++)
            {
                Assert.Equal(i >= 5 && i < 20 && j >= 5 && j < 20 ? ka[j - 5, i - 5] : 0, onlyA[j, i], 6);
                Assert.Equal(kb[j, i], onlyB[j, i], 6);
            }
        Assert.True(coadd.Covers(0, 199.4, 99.4) && !coadd.Covers(0, 199.6, 40) && !coadd.Covers(0, 50, -0.6));
        Assert.True(coadd.Covers(1, 150, 0) && !coadd.Covers(1, 149.4, 0));
        Assert.Equal(Box2I.FromCorners(-1, -1, 200, 100), coadd.GetCoaddBox(0));
        Assert.Equal((2 * ga.ComputeFwhm(0, 0) + 0.5 * gb.ComputeFwhm(0, 0)) / 2.5, coadd.ComputeFwhm(170, 40), 6);
        var e = Assert.Throws<CoaddPsfCoverageException>(() => Kernel(coadd, 500, 40));
        Assert.Contains("(500, 40)", e.Message);
        Assert.Equal(500, e.X);
        Assert.Throws<CoaddPsfCoverageException>(() => coadd.ComputeMoments(500, 40));
    }

    [Fact]
    public void Combining_warps_weights_their_components_and_leaves_out_skipped_ones()
    {
        var wcs = CoaddWcs();
        var w1 = new CoaddPsf([new CoaddPsfComponent(new GaussianPsf(15, 1.5), Aligned(0, 0), new Box2I(0, 0, 200, 100), 1, 1, "A")], wcs);
        var w2 = new CoaddPsf([new CoaddPsfComponent(new GaussianPsf(19, 2.5), Aligned(0, 0), new Box2I(0, 0, 200, 100), 1, 2, "A"),
                               new CoaddPsfComponent(new GaussianPsf(19, 2.5), Aligned(200, 0), new Box2I(0, 0, 200, 100), 1, 2, "B")], wcs);
        var w3 = new CoaddPsf([new CoaddPsfComponent(new GaussianPsf(31, 5), Aligned(0, 0), new Box2I(0, 0, 200, 100), 1, 3, "A")], wcs);
        var c = CoaddPsf.Combine([(w1, 3.0), (w2, 1.0), (w3, 0.0)], wcs);
        Assert.Equal([3.0, 1.0, 1.0], c.Components.Select(x => x.Weight));
        Assert.Equal([1, 2, 2], c.Components.Select(x => x.Visit));
        Assert.Equal(19, c.KernelSize);
        var k = Kernel(c, 100, 50);
        var k1 = Kernel(new GaussianPsf(19, 1.5), 0, 0);
        var k2 = Kernel(new GaussianPsf(19, 2.5), 0, 0);
        for (int j = 0; j < 19; j++)
            for (int i = 0; i < 19; i++) Assert.Equal((3 * k1[j, i] + k2[j, i]) / 4, k[j, i], 6);
        Assert.Throws<ArgumentException>(() => CoaddPsf.Combine([(w1, 0.0)], wcs));
        Assert.Throws<ArgumentException>(() => CoaddPsf.Combine([(w1, double.NaN)], wcs));
        Assert.Throws<ArgumentException>(() => new CoaddPsf([], wcs));
        Assert.Throws<ArgumentException>(() => new CoaddPsf([w1.Components[0] with { Weight = 0 }], wcs));
    }

    /// <summary>Components rotated and sheared against the coadd, one with SIP distortion and a spatially varying model.</summary>
    internal static CoaddPsf Rich()
    {
        var sipA = new SipPolynomial(2, new double[,] { { 0, 0, 2e-6 }, { 0, 1e-6, 0 }, { -1e-6, 0, 0 } });
        var sipB = new SipPolynomial(2, new double[,] { { 0, 0, 1e-6 }, { 0, -2e-6, 0 }, { 1.5e-6, 0, 0 } });
        var distorted = new SkyWcs((2000, 2000), (150.01, 2.005), WarpedPsfTests.Cd(Scale, 25, 1.05, 0.95, 0.05), sipA, sipB);
        return new CoaddPsf(
        [
            new CoaddPsfComponent(PsfFitsTests.Polynomial(), distorted, new Box2I(10, 20, 4072, 4000), 1.5, 1203, "R22_S11"),
            new CoaddPsfComponent(new DoubleGaussianPsf(25, 1.6, 4.0, 0.1), new SkyWcs((100, 50), (150, 2), WarpedPsfTests.Cd(Scale, -40, 1, 1, 0.2)),
                                  new Box2I(0, 0, 4000, 4000), 0.7, 1204, "R22_S12"),
            new CoaddPsfComponent(new GaussianPsf(21, 1.7), Aligned(0, 0), new Box2I(-100, -100, 3000, 3000), 1, 1205, "R23_S00"),
        ], CoaddWcs());
    }

    private static readonly (double X, double Y)[] Points = [(400, 300), (417.3, 288.8), (1500, 1200), (-50, 250)];

    [Fact]
    public void A_cropped_coadd_evaluates_the_same_psf_at_the_same_sky_position()
    {
        var psf = Rich();
        var cropped = psf.WithCoaddWcs(psf.CoaddWcs.WithPixelOrigin(150, -70));
        foreach (var (x, y) in Points)
        {
            var a = Kernel(psf, x, y);
            var b = Kernel(cropped, x - 150, y + 70);
            for (int j = 0; j < psf.KernelSize; j++)
                for (int i = 0; i < psf.KernelSize; i++) Assert.Equal(a[j, i], b[j, i], 6);
        }
    }

    [Fact]
    public void An_exposure_keeps_its_coadd_psf_through_a_file()
    {
        using var dir = new TempDir();
        string path = dir.File("coadd.fits");
        var psf = Rich();
        using (var e = new Exposure(new MaskedImage(40, 30), null, psf.CoaddWcs) { Psf = psf }) ExposureFits.Write(path, e);
        using (var f = FitsFile.Open(path))
        {
            Assert.Equal(4 + 1 + 3, f.Hdus.Count);
            Assert.Equal("COADD", f[4].Header.GetString("PSFTYPE"));
            Assert.Equal(3, f[4].Header.GetInt64("NCOMP"));
            for (int i = 1; i <= 3; i++)
            {
                Assert.Equal(PsfFits.ComponentExtName, f[4 + i].ExtName);
                Assert.Equal(i, f[4 + i].ExtVer);
            }
            Assert.Equal("PIXELBASIS", f[5].Header.GetString("PSFTYPE"));
            Assert.Equal("R22_S11", f[5].Header.GetString("DETNAME"));
        }
        using var back = ExposureFits.Read(path);
        var read = Assert.IsType<CoaddPsf>(back.Psf);
        Assert.Equal(psf.Components.Select(c => (c.Visit, c.Detector, c.Weight, c.ValidRegion, c.Psf.GetType())),
                     read.Components.Select(c => (c.Visit, c.Detector, c.Weight, c.ValidRegion, c.Psf.GetType())));
        Assert.Equal(psf.KernelSize, read.KernelSize);
        foreach (var (x, y) in Points) Assert.Equal(Kernel(psf, x, y), Kernel(read, x, y));
        Assert.True(FitsVerifier.Verify(path).Conforms);
        Peers.AssertFitsverifyClean(path);
    }

    /// <summary>Writes <see cref="Rich"/> with the header of HDU <paramref name="hdu"/> (1: the PSF HDU, 2..: components)
    /// edited, and reads it back.</summary>
    private static FitsFormatException ReadEdited(int hdu, Action<FitsHeader> edit)
    {
        using var dir = new TempDir();
        string good = dir.File("good.fits"), bad = dir.File("bad.fits");
        FitsWriter.Write(good, w =>
        {
            w.WriteEmpty(null);
            PsfFits.Write(w, Rich());
        });
        FitsWriter.Write(bad, w =>
        {
            w.WriteEmpty(null);
            using var f = FitsFile.Open(good);
            for (int i = 1; i < f.Hdus.Count; i++)
            {
                var header = f[i].Header.Clone();
                if (i == hdu) edit(header);
                using var plane = f.ReadImage<float>(f[i]);
                var data = new float[plane.Width * plane.Height];
                plane.AsSpan2D().CopyTo(data);
                long[] axes = [.. f[i].Axes];
                w.WriteImage(header, new ReadOnlySpan2D<float>(data, (int)(axes[1] * axes[2]), (int)axes[0]), new FitsImageOptions { Axes = axes });
            }
        });
        using var file = FitsFile.Open(bad);
        return Assert.Throws<FitsFormatException>(() => PsfFits.Read(file));
    }

    [Fact]
    public void A_malformed_coadd_psf_extension_is_named()
    {
        var e = ReadEdited(1, h => h.Remove("NCOMP"));
        Assert.Equal(("NCOMP", 1), (e.Keyword, e.HduIndex));
        Assert.Equal("NCOMP", ReadEdited(1, h => h.Set("NCOMP", 4L)).Keyword);
        Assert.Equal("NCOMP", ReadEdited(1, h => h.Set("NCOMP", 0L)).Keyword);
        Assert.Equal("CTYPE1", ReadEdited(1, h => h.Remove("CTYPE1")).Keyword);
        Assert.Equal("NCOMP", ReadEdited(3, h => h.Set("EXTVER", 7L)).Keyword);
        e = ReadEdited(3, h => h.Remove("WEIGHT"));
        Assert.Equal(("WEIGHT", 3), (e.Keyword, e.HduIndex));
        Assert.Equal("WEIGHT", ReadEdited(2, h => h.Set("WEIGHT", -1.0)).Keyword);
        Assert.Equal("VALMAXX", ReadEdited(4, h => h.Set("VALMAXX", -500L)).Keyword);
        Assert.Equal("VISIT", ReadEdited(2, h => h.Set("VISIT", "one")).Keyword);
        Assert.Equal("CRVAL2", ReadEdited(4, h => h.Remove("CRVAL2")).Keyword);
        Assert.Equal("PSFTYPE", ReadEdited(2, h => h.Set("PSFTYPE", "COADD")).Keyword);
    }

    [SkippableFact]
    public void Astropy_opens_the_file_and_its_wcs_cards_place_the_components()
    {
        Peers.RequireAstropy();
        using var dir = new TempDir();
        string path = dir.File("coadd.fits");
        var psf = Rich();
        using (var e = new Exposure(new MaskedImage(40, 30), null, psf.CoaddWcs) { Psf = psf }) ExposureFits.Write(path, e);
        // astropy maps coadd pixel (x, y) to each component's detector pixel through the stored WCS cards.
        const string Script = """
            import sys, json
            from astropy.io import fits
            from astropy.wcs import WCS
            f = fits.open(sys.argv[1])
            h = f['PSF'].header
            assert h['PSFTYPE'] == 'COADD' and f['PSF'].data.shape[0] == 1
            coadd = WCS(h, naxis=2)
            x, y = float(sys.argv[2]), float(sys.argv[3])
            sky = coadd.pixel_to_world(x, y)
            out = []
            for i in range(1, h['NCOMP'] + 1):
                c = f['PSFCOMP', i]
                px, py = WCS(c.header, naxis=2).world_to_pixel(sky)
                out.append([float(px), float(py), c.header['VISIT'], c.header['DETNAME'], c.data.shape[0]])
            print(json.dumps(out))
            """;
        string script = dir.File("probe.py");
        File.WriteAllText(script, Script);
        var (x, y) = (417.3, 288.8);
        var (code, stdout, stderr) = Peers.Run(Peers.Python, string.Create(CultureInfo.InvariantCulture, $"\"{script}\" \"{path}\" {x:R} {y:R}"));
        Assert.True(code == 0, stderr);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        for (int i = 0; i < 3; i++)
        {
            var (sx, sy) = psf.GetWarpedPsf(i).ToSource(x, y);
            Assert.Equal(sx, rows[i][0].GetDouble(), 3);
            Assert.Equal(sy, rows[i][1].GetDouble(), 3);
            Assert.Equal(psf.Components[i].Visit, rows[i][2].GetInt32());
            Assert.Equal(psf.Components[i].Detector, rows[i][3].GetString());
        }
    }
}
