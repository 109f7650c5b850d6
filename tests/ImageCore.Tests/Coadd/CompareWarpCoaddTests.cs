using ImageCore.Coadd;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Coadd;

/// <summary><see cref="CompareWarpCoadd"/> on <see cref="CompareWarpField"/>: trails and a moving source are rejected,
/// static and persistent sources are not, and bad inputs are refused by name.</summary>
public sealed class CompareWarpCoaddTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (MaskedImage Coadd, CompareWarpResult Result) CompareWarp(CompareWarpField field, CompareWarpConfig? config = null)
    {
        var direct = field.Direct.Select((e, k) => CoaddInput.FromExposure(e, $"direct {k}")).ToList();
        var matched = field.Matched.Select((e, k) => CoaddInput.FromExposure(e, $"matched {k}")).ToList();
        return CompareWarpCoadd.Assemble(direct, matched, config ?? new CompareWarpConfig(), maxDegreeOfParallelism: 2);
    }

    private static MaskedImage Mean(IEnumerable<Exposure> warps)
    {
        var inputs = warps.Select((e, k) => CoaddInput.FromExposure(e, $"w{k}")).ToList();
        return Coadder.Assemble(inputs, new CoaddConfig { Statistic = CoaddStatistic.Mean }).Coadd;
    }

    private static bool Inside(int x, int y) => x >= 6 && y >= 6 && x < CompareWarpField.Size - 6 && y < CompareWarpField.Size - 6;

    /// <summary>Mean of (a - b) over the pixels <paramref name="where"/> selects, and how many.</summary>
    private static (double Mean, int Count) MeanResidual(MaskedImage a, MaskedImage b, Func<int, int, bool> where)
    {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < CompareWarpField.Size; y++)
            for (int x = 0; x < CompareWarpField.Size; x++)
                if (Inside(x, y) && where(x, y))
                {
                    sum += a.Image.Pixels[y, x] - b.Image.Pixels[y, x];
                    n++;
                }
        return (sum / n, n);
    }

    private static double Aperture(MaskedImage image, int cx, int cy, int r = 7)
    {
        double sum = 0;
        for (int y = cy - r; y <= cy + r; y++)
            for (int x = cx - r; x <= cx + r; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) sum += image.Image.Pixels[y, x];
        return sum;
    }

    [Fact]
    public void Trails_and_a_moving_source_are_rejected_and_static_stars_keep_their_flux()
    {
        using var field = new CompareWarpField();
        var (coadd, result) = CompareWarp(field);
        using var _ = coadd;
        using var truth = Mean(field.CleanDirect);   // the same visits without transients (same noise)
        using var plain = Mean(field.Direct);
        double noise = 1 / Math.Sqrt(CompareWarpField.Visits);   // the coadd's noise per pixel (unit-variance warps)

        foreach (var trail in CompareWarpField.Trails)
        {
            bool OnTrail(int x, int y) => CompareWarpField.TrailDistance(trail, x, y) <= 1.5;
            var (rejected, n) = MeanResidual(coadd, truth, OnTrail);
            var (kept, _) = MeanResidual(plain, truth, OnTrail);
            Assert.True(n > 100, $"trail of visit {trail.Visit}: {n} pixels");
            Assert.True(Math.Abs(rejected) < noise, $"trail of visit {trail.Visit}: the CompareWarp coadd is {rejected / noise:F2} sigma off");
            Assert.True(kept > 5 * noise, $"trail of visit {trail.Visit}: the plain mean should show it ({kept / noise:F2} sigma)");
            Assert.True(result.Visits[trail.Visit].ArtifactPixels >= n, $"visit {trail.Visit}: {result.Visits[trail.Visit].ArtifactPixels} artifact pixels");
        }
        int clipped = coadd.Mask.GetBitMask("CLIPPED");
        for (int k = 0; k < CompareWarpField.Visits; k++)
        {
            var (ax, ay) = CompareWarpField.Asteroid(k);
            bool OnAsteroid(int x, int y) => (x - ax) * (x - ax) + (y - ay) * (y - ay) <= 9;
            var (rejected, _) = MeanResidual(coadd, truth, OnAsteroid);
            var (kept, _) = MeanResidual(plain, truth, OnAsteroid);
            Assert.True(Math.Abs(rejected) < noise, $"asteroid of visit {k}: the CompareWarp coadd is {rejected / noise:F2} sigma off");
            Assert.True(kept > 5 * noise, $"asteroid of visit {k}: the plain mean should show it ({kept / noise:F2} sigma)");
            Assert.True((coadd.Mask.Image.Pixels[ay, ax] & clipped) != 0, $"asteroid of visit {k}: CLIPPED");
            Assert.True(result.Visits[k].Artifacts >= 1);
        }
        foreach (var (x, y) in CompareWarpField.Stars)
        {
            double cw = Aperture(coadd, x, y), mean = Aperture(plain, x, y);
            Assert.True(Math.Abs(cw / mean - 1) < 1e-3, $"star at ({x}, {y}): {cw} against the plain mean's {mean}");
        }
    }

    [Fact]
    public void A_variable_star_and_a_source_present_in_most_visits_are_kept()
    {
        using var field = new CompareWarpField();
        using var plain = Mean(field.Direct);
        var (coadd, result) = CompareWarp(field);
        using (coadd)
        {
            // Varying in every visit: candidates in all 12 epochs, more than int(min(0.4 N, 2 + 0.2 N)) = 4, so never an artifact.
            var (vx, vy) = CompareWarpField.Variable;
            Assert.Equal(Aperture(plain, vx, vy), Aperture(coadd, vx, vy), 3);
            // Missing from 3 visits: those visits' negative residuals lie inside the bright source's template footprint, so they are spared.
            var (mx, my) = CompareWarpField.MostVisits;
            Assert.Equal(Aperture(plain, mx, my), Aperture(coadd, mx, my), 3);
            Assert.All(CompareWarpField.AbsentVisits, k => Assert.True(result.Visits[k].Spared >= 1, $"visit {k} spared {result.Visits[k].Spared}"));
            Assert.True(result.TemplateFootprints >= CompareWarpField.Stars.Length);
        }
        // Without the template's protection the 3 absent epochs (3 <= 4) are the transients: the source is kept at its full flux.
        var (unprotected, _) = CompareWarp(field, new CompareWarpConfig { PreserveContainedBySource = false });
        using (unprotected)
        {
            var (mx, my) = CompareWarpField.MostVisits;
            double full = Aperture(unprotected, mx, my), mean = Aperture(plain, mx, my);
            Assert.True(Math.Abs(full / CompareWarpField.StarFlux - 1) < 0.02, $"{full} against the source's {CompareWarpField.StarFlux}");
            Assert.True(mean < 0.8 * CompareWarpField.StarFlux, $"the plain mean {mean} averages the absent visits in");
            var (vx, vy) = CompareWarpField.Variable;
            Assert.Equal(Aperture(plain, vx, vy), Aperture(unprotected, vx, vy), 3);
        }
    }

    [Fact]
    public void The_psf_matched_footprint_and_edges_shape_the_mask()
    {
        using var field = new CompareWarpField(edgeVisit: 1, edgeColumn: 50);
        var (coadd, result) = CompareWarp(field);
        using var _ = coadd;
        int noData = coadd.Mask.GetBitMask("NO_DATA"), sensorEdge = coadd.Mask.GetBitMask("SENSOR_EDGE"), inexact = coadd.Mask.GetBitMask("INEXACT_PSF");
        int rejected = coadd.Mask.GetBitMask("REJECTED");
        // The direct warps have data to the edge, but every PSF-matched warp has a 3 px NaN border: nothing is coadded there.
        for (int i = 0; i < CompareWarpField.Size; i++)
        {
            Assert.True((coadd.Mask.Image.Pixels[1, i] & noData) != 0 && float.IsNaN(coadd.Image.Pixels[1, i]), $"border pixel ({i}, 1)");
            Assert.True((coadd.Mask.Image.Pixels[i, CompareWarpField.Size - 2] & noData) != 0, $"border pixel ({CompareWarpField.Size - 2}, {i})");
        }
        Assert.Equal(4L * CompareWarpField.Border * (CompareWarpField.Size - CompareWarpField.Border), result.Visits[0].NoDataPixels);
        // Visit 1's EDGE columns: SENSOR_EDGE | INEXACT_PSF in the coadd, but the direct warp's pixels there are used (EDGE is not bad).
        var inputs = field.CleanDirect.Select((e, k) => CoaddInput.FromExposure(e, $"w{k}")).ToList();
        var edgeUsed = new CoaddConfig { Statistic = CoaddStatistic.Mean, BadMaskPlanes = ["NO_DATA", "BAD", "SAT", "SUSPECT"] };
        using var withEdge = Coadder.Assemble(inputs, edgeUsed).Coadd;
        for (int y = 10; y < 118; y++)
        {
            int m = coadd.Mask.Image.Pixels[y, 50];
            Assert.True((m & sensorEdge) != 0 && (m & inexact) != 0 && (m & rejected) == 0, $"pixel (50, {y}): mask {m:X}");
            Assert.True((coadd.Mask.Image.Pixels[y, 53] & sensorEdge) == 0);
            if (Math.Abs(y - 41) > 8 && Math.Abs(y - 82) > 8 && y < 105)   // away from the trails and visit 4's asteroid
                Assert.Equal(withEdge.Image.Pixels[y, 50], coadd.Image.Pixels[y, 50], 4);
        }
        Assert.Equal(2L * (CompareWarpField.Size - 2 * CompareWarpField.Border), result.Visits[1].EdgePixels);
    }

    [Fact]
    public void The_coadd_is_written_with_its_statistic_inputs_and_artifact_counts()
    {
        using var field = new CompareWarpField();
        var inputs = new List<CompareWarpInput>();
        for (int k = 0; k < 4; k++)
        {
            string d = _dir.File($"direct-{k}.fits"), m = _dir.File($"matched-{k}.fits");
            ExposureFits.Write(d, field.Direct[k]);
            ExposureFits.Write(m, field.Matched[k]);
            inputs.Add(new CompareWarpInput(d, m));
        }
        string output = _dir.File("coadd.fits");
        var result = CompareWarpCoadd.Run(inputs, output, new CompareWarpConfig(), maxDegreeOfParallelism: 2);
        using var written = ExposureFits.Read(output);
        Assert.Equal("COMPAREWARP", written.Metadata.GetString("COADDSTA"));
        Assert.Equal("direct-3.fits", written.Metadata.GetString("INPUT003"));
        Assert.Equal("matched-3.fits", written.Metadata.GetString("PSFIN003"));
        for (int k = 0; k < 4; k++) Assert.Equal(result.Visits[k].ArtifactPixels, written.Metadata.GetInt64($"NART{k:D3}", -1));
        Assert.True(result.Visits[3].ArtifactPixels > 0);   // the trail of visit 3
        Assert.Equal(1 + 2 * inputs.Count, Directory.GetFiles(_dir.Path).Length);   // no temporary file left
    }

    [Fact]
    public void Bands_and_threads_do_not_change_the_coadd_and_the_psf_width_comes_from_the_psf_hdu()
    {
        using var field = new CompareWarpField();
        field.Matched[5].Psf = null;   // no PSF stored: the configured FWHM stands in
        var (reference, first) = CompareWarp(field);
        using var _ = reference;
        var direct = field.Direct.Select((e, k) => CoaddInput.FromExposure(e, $"direct {k}")).ToList();
        var matched = field.Matched.Select((e, k) => CoaddInput.FromExposure(e, $"matched {k}")).ToList();
        var config = new CompareWarpConfig { Coadd = new CompareWarpConfig().Coadd with { SubregionRows = 7 } };
        var (banded, second) = CompareWarpCoadd.Assemble(direct, matched, config, maxDegreeOfParallelism: 1);
        using (banded)
            for (int y = 0; y < CompareWarpField.Size; y++)
            {
                Assert.True(reference.Image.Pixels.GetRowSpan(y).SequenceEqual(banded.Image.Pixels.GetRowSpan(y)), $"image row {y}");
                Assert.True(reference.Mask.Image.Pixels.GetRowSpan(y).SequenceEqual(banded.Mask.Image.Pixels.GetRowSpan(y)), $"mask row {y}");
            }
        Assert.Equal(first.Visits.Select(v => v.ArtifactPixels), second.Visits.Select(v => v.ArtifactPixels));
        Assert.Equal(CompareWarpField.ModelPsf.ComputeMoments(0, 0).DeterminantRadius, first.Visits[0].PsfSigma, 12);
        Assert.Equal(9.0 / ImageCore.Psf.PsfMoments.FwhmPerSigma, first.Visits[5].PsfSigma, 12);
        Assert.All(direct, d => Assert.Null(d.AltMask));   // the changed masks lived only for the call
    }

    [Fact]
    public void A_missing_psf_matched_warp_is_named()
    {
        using var field = new CompareWarpField();
        string d = _dir.File("direct.fits"), missing = _dir.File("no-such-matched.fits");
        ExposureFits.Write(d, field.Direct[0]);
        var e = Assert.Throws<CoaddInputException>(() => CompareWarpCoadd.Run([new CompareWarpInput(d, missing)], _dir.File("out.fits"), new CompareWarpConfig()));
        Assert.Equal(missing, e.Input);
        Assert.Contains("no-such-matched.fits", e.Message);
        Assert.False(File.Exists(_dir.File("out.fits")));
    }

    [Fact]
    public void A_psf_matched_warp_off_its_direct_warps_grid_is_named()
    {
        using var field = new CompareWarpField();
        using var small = new Exposure(new MaskedImage(100, CompareWarpField.Size), wcs: TestWcs.Tan(64, 64));
        string d = _dir.File("direct.fits"), m = _dir.File("matched-small.fits");
        ExposureFits.Write(d, field.Direct[0]);
        ExposureFits.Write(m, small);
        var e = Assert.Throws<CoaddInputException>(() => CompareWarpCoadd.Run([new CompareWarpInput(d, m)], _dir.File("out.fits"), new CompareWarpConfig()));
        Assert.Equal(m, e.Input);
        Assert.Contains("one grid", e.Message);

        using var shifted = new Exposure(field.Matched[0].MaskedImage.Clone(), wcs: TestWcs.Tan(60, 64));
        string s = _dir.File("matched-shifted.fits");
        ExposureFits.Write(s, shifted);
        e = Assert.Throws<CoaddInputException>(() => CompareWarpCoadd.Run([new CompareWarpInput(d, s)], _dir.File("out.fits"), new CompareWarpConfig()));
        Assert.Equal(s, e.Input);
        Assert.False(File.Exists(_dir.File("out.fits")));
    }

    [Fact]
    public void Invalid_settings_are_named()
    {
        var e = Assert.Throws<ConfigException>(() => new CompareWarpConfig { SpatialThreshold = 1.5 }.Validate());
        Assert.Equal("CompareWarpConfig.SpatialThreshold", e.Setting);
        e = Assert.Throws<ConfigException>(() => new CompareWarpConfig { Coadd = new CoaddConfig { Statistic = CoaddStatistic.MeanClip } }.Validate());
        Assert.Equal("CompareWarpConfig.Coadd.Statistic", e.Setting);
        // CompareWarp is a valid choice of statistic (the pipeline's default), but the Coadder alone cannot make it.
        new CoaddConfig { Statistic = CoaddStatistic.CompareWarp }.Validate();
        var warp = new Exposure(new MaskedImage(4, 4));
        var refused = Assert.Throws<ArgumentException>(() => Coadder.Assemble([warp], new CoaddConfig { Statistic = CoaddStatistic.CompareWarp }));
        Assert.Contains("CompareWarpCoadd", refused.Message);
    }
}
