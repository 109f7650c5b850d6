using System.Globalization;
using System.Text.Json;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Psf;

public class PsfFitsTests
{
    /// <summary>A spatially varying model with every coefficient distinct, over a box with a non-zero origin.</summary>
    internal static PixelBasisPsf Polynomial()
    {
        int k = 15, terms = PixelBasisPsf.TermCount(2);
        var g = new float[k, k];
        new GaussianPsf(k, 1.8).ComputeKernelImage(0, 0, new Span2D<float>(g));
        var basis = new float[terms * k * k];
        var rng = new Random(3);
        for (int t = 0; t < terms; t++)
            for (int i = 0; i < k * k; i++)
                basis[t * k * k + i] = t == 0 ? g[i / k, i % k] : (float)(0.002 * (rng.NextDouble() - 0.5) * g[i / k, i % k] * 50);
        return new PixelBasisPsf(k, 2, new Box2I(10, 20, 4072, 4000), basis);
    }

    public static TheoryData<string> Models => ["pixpoly", "gaussian", "doublegaussian"];

    private static IPsf Model(string name) => name switch
    {
        "pixpoly" => Polynomial(),
        "gaussian" => new GaussianPsf(21, 1.7),
        _ => new DoubleGaussianPsf(25, 1.6, 4.0, 0.1),
    };

    private static Exposure SmallExposure(IPsf? psf)
    {
        var e = new Exposure(new MaskedImage(40, 30, new Point2I(10, 20))) { Psf = psf };
        e.Metadata.Set("DETNAME", "R22_S11");
        return e;
    }

    private static float[,] Kernel(IPsf psf, double x, double y)
    {
        var k = new float[psf.KernelSize, psf.KernelSize];
        psf.ComputeKernelImage(x, y, new Span2D<float>(k));
        return k;
    }

    private static readonly (double X, double Y)[] Positions = [(10, 20), (2000, 2000), (4081, 4019), (-50, 9000), (1234.5, 77.25)];

    [Theory, MemberData(nameof(Models))]
    public void An_exposure_keeps_its_psf_through_a_file(string name)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "psf.fits");
        var psf = Model(name);
        using (var e = SmallExposure(psf)) ExposureFits.Write(path, e);
        using (var f = FitsFile.Open(path))
        {
            Assert.Equal(5, f.Hdus.Count);
            Assert.Equal(PsfFits.ExtName, f[4].ExtName);
            Assert.Equal([(long)psf.KernelSize, psf.KernelSize, psf is PixelBasisPsf p ? p.Terms : 1], f[4].Axes);
            Assert.Equal(psf.ComputeFwhm(psf is PixelBasisPsf q ? q.Region.MinX + (q.Region.Width - 1) / 2.0 : 0,
                                         psf is PixelBasisPsf r ? r.Region.MinY + (r.Region.Height - 1) / 2.0 : 0), f[4].Header.GetDouble("PSFFWHM"), 9);
        }
        using var back = ExposureFits.Read(path);
        Assert.NotNull(back.Psf);
        Assert.Equal(psf.GetType(), back.Psf.GetType());
        Assert.Equal(psf.KernelSize, back.Psf.KernelSize);
        foreach (var (x, y) in Positions)
        {
            Assert.Equal(Kernel(psf, x, y), Kernel(back.Psf, x, y));
            Assert.Equal(psf.ComputeMoments(x, y), back.Psf.ComputeMoments(x, y));
        }
        Peers.AssertFitsverifyClean(path);
    }

    [Fact]
    public void An_exposure_without_a_psf_has_no_psf_extension()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "nopsf.fits");
        using (var e = SmallExposure(null)) ExposureFits.Write(path, e);
        using (var f = FitsFile.Open(path))
        {
            Assert.Equal(4, f.Hdus.Count);
            Assert.Null(PsfFits.Read(f));
        }
        using var back = ExposureFits.Read(path);
        Assert.Null(back.Psf);
    }

    [Fact]
    public void A_psf_of_another_kind_has_no_fits_form()
    {
        using var writer = new FitsWriter(new MemoryStream(), "memory");
        writer.WriteEmpty(null);
        Assert.Contains("no FITS form", Assert.Throws<NotSupportedException>(() => PsfFits.Write(writer, new OtherPsf())).Message);
    }

    private sealed class OtherPsf : IPsf
    {
        public int KernelSize => 3;
        public void ComputeKernelImage(double x, double y, Span2D<float> destination) => destination.Fill(1f / 9);
        public PsfMoments ComputeMoments(double x, double y) => new(1, 1, 0);
        public double ComputeFwhm(double x, double y) => 2.35;
    }

    /// <summary>Writes the PSF extension of <paramref name="psf"/> with its header edited, and reads it back.</summary>
    private static FitsFormatException ReadEdited(IPsf psf, Action<FitsHeader> edit, int? planes = null)
    {
        using var dir = new TempDir();
        string good = Path.Combine(dir.Path, "good.fits"), bad = Path.Combine(dir.Path, "bad.fits");
        FitsWriter.Write(good, w =>
        {
            w.WriteEmpty(null);
            PsfFits.Write(w, psf);
        });
        FitsHeader header;
        float[] data;
        long[] axes;
        using (var f = FitsFile.Open(good))
        {
            header = f[1].Header.Clone();
            using var plane = f.ReadImage<float>(f[1]);
            data = new float[plane.Width * plane.Height];
            plane.AsSpan2D().CopyTo(data);
            axes = [.. f[1].Axes];
        }
        edit(header);
        if (planes is int p)
        {
            axes[2] = p;
            data = data[..(int)(axes[0] * axes[1] * p)];
        }
        FitsWriter.Write(bad, w =>
        {
            w.WriteEmpty(null);
            w.WriteImage(header, new ReadOnlySpan2D<float>(data, (int)(axes[1] * axes[2]), (int)axes[0]), new FitsImageOptions { Axes = axes });
        });
        using var file = FitsFile.Open(bad);
        return Assert.Throws<FitsFormatException>(() => PsfFits.Read(file));
    }

    [Fact]
    public void A_malformed_psf_extension_is_named()
    {
        Assert.Equal("PSFTYPE", ReadEdited(new GaussianPsf(11, 1.5), h => h.Set("PSFTYPE", "MOFFAT")).Keyword);
        Assert.Equal("PSFTYPE", ReadEdited(new GaussianPsf(11, 1.5), h => h.Remove("PSFTYPE")).Keyword);
        Assert.Equal("SIGMA", ReadEdited(new GaussianPsf(11, 1.5), h => h.Set("SIGMA", -1.0)).Keyword);
        Assert.Equal("B", ReadEdited(new DoubleGaussianPsf(11, 1.5, 3, 0.1), h => h.Set("B", "nan")).Keyword);
        Assert.Equal("POLYORD", ReadEdited(Polynomial(), h => h.Set("POLYORD", 11)).Keyword);
        Assert.Equal("NAXIS3", ReadEdited(Polynomial(), _ => { }, planes: 5).Keyword);
        Assert.Equal("XPOW2", ReadEdited(Polynomial(), h => h.Set("XPOW2", 0)).Keyword);
        Assert.Equal("REGMAXX", ReadEdited(Polynomial(), h => h.Set("REGMAXX", 0)).Keyword);
        var e = ReadEdited(Polynomial(), h => h.Remove("REGMINY"));
        Assert.Equal("REGMINY", e.Keyword);
        Assert.Equal(1, e.HduIndex);
    }

    [SkippableTheory, MemberData(nameof(Models))]
    public void Astropy_computes_the_same_kernels_from_the_documented_convention(string name)
    {
        Peers.RequireAstropy();
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "psf.fits");
        var psf = Model(name);
        using (var e = SmallExposure(psf)) ExposureFits.Write(path, e);
        string coords = string.Join(' ', Positions.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:R} {p.Y:R}")));
        var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{Path.Combine(Peers.ToolsDir, "psf_kernel_astropy.py")}\" \"{path}\" {coords}");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var kernels = json.RootElement.GetProperty("kernels");
        for (int n = 0; n < Positions.Length; n++)
        {
            var mine = Kernel(psf, Positions[n].X, Positions[n].Y);
            var rows = kernels[n].EnumerateArray().ToList();
            Assert.Equal(psf.KernelSize, rows.Count);
            for (int j = 0; j < rows.Count; j++)
            {
                var row = rows[j].EnumerateArray().Select(v => v.GetDouble()).ToList();
                for (int i = 0; i < row.Count; i++) Assert.Equal(mine[j, i], row[i], 6);
            }
        }
    }
}
