using System.Globalization;
using CommunityToolkit.HighPerformance;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Characterize;

/// <summary>
/// Fits a <see cref="PixelBasisPsf"/> to PSF stars (PSFEx's approach; <see cref="PsfFitConfig"/>). Each star's
/// stamp is re-centred on its centroid (<see cref="StampShift"/>) and divided by its flux; every kernel pixel p is then
/// a polynomial in the star positions, c_p(u, v), fitted by weighted least squares over the stars, with weights
/// F^2 / (B + F M(p)) (the stamp's sky and read-noise variance B from the variance plane, plus the star's own Poisson
/// term from the current model M, in electrons, so the weights do not follow the noise). After each fit the model is
/// normalised to sum 1 at each star, the star's flux re-measured as its PSF flux, pixels beyond
/// <see cref="PsfFitConfig.PixelClipSigma"/> left out and the worst stars beyond <see cref="PsfFitConfig.StarClipSigma"/>
/// rejected.
/// </summary>
public static class PsfFitter
{
    /// <summary>Fits the PSF of <paramref name="exposure"/> to the stars of <paramref name="selection"/>.</summary>
    /// <param name="exposure">The exposure the stars were selected from (background subtracted, variance in image units squared).</param>
    /// <param name="selection">From <see cref="PsfStarSelector.Select"/> on this exposure.</param>
    /// <param name="config">Checked here.</param>
    /// <param name="cancel">Checked every iteration.</param>
    /// <exception cref="ConfigException">A configuration value out of range.</exception>
    /// <exception cref="ArgumentException">The selection's border is narrower than <see cref="PsfFitConfig.LanczosOrder"/>.</exception>
    /// <exception cref="PsfMeasurementException">Too few stars for even a constant PSF (or, without
    /// <see cref="PsfFitConfig.ReduceOrderWhenFewStars"/>, too few or too narrowly spread for the configured order), stars
    /// that do not constrain the polynomial, or a model that is not finite, not positive or not centred.</exception>
    public static PsfFitResult Fit(Exposure exposure, PsfStarSelection selection, PsfFitConfig config, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.LanczosOrder > selection.Border)
            throw new ArgumentException($"PsfFitConfig.LanczosOrder ({config.LanczosOrder}) reaches beyond the stamps' border ({selection.Border} pixels); "
                                        + "raise PsfStarSelectorConfig.Border", nameof(config));
        string name = PsfMeasurementException.Describe(exposure);
        var stars = selection.Candidates;
        int n = stars.Count;
        int order = config.SpatialOrder;
        while (n < config.StarsNeeded(order) && config.ReduceOrderWhenFewStars && order > 0) order--;
        if (n < config.StarsNeeded(order))
            throw new PsfMeasurementException(name, $"{n} PSF stars where a spatial order {order} model needs at least {config.StarsNeeded(order)}", selection.Counts);
        var box = exposure.BBox;
        if (order > 0)
        {
            // How far apart the extreme stars are, as a fraction of the detector's width and height.
            double spanX = (stars.Max(c => c.X) - stars.Min(c => c.X)) / Math.Max(1, box.Width - 1);
            double spanY = (stars.Max(c => c.Y) - stars.Min(c => c.Y)) / Math.Max(1, box.Height - 1);
            if (Math.Min(spanX, spanY) < config.MinSpatialCoverage)
            {
                if (!config.ReduceOrderWhenFewStars)
                    throw new PsfMeasurementException(name, string.Create(CultureInfo.InvariantCulture,
                        $"the PSF stars span {100 * spanX:F0}% of the width and {100 * spanY:F0}% of the height; a spatial order {order} model needs {100 * config.MinSpatialCoverage:F0}% of each"), selection.Counts);
                order = 0;
            }
        }

        int k = selection.KernelSize, half = k / 2, np = k * k, nt = PixelBasisPsf.TermCount(order), a = config.LanczosOrder;
        var image = (ReadOnlySpan2D<float>)exposure.Image.Pixels;
        var variance = (ReadOnlySpan2D<float>)exposure.Variance.Pixels;
        var data = new double[n][];
        var model = new double[n][];
        var terms = new double[n][];
        var sky = new double[n];
        var flux = new double[n];
        var used = new bool[n];
        var clipped = new bool[n][];
        var chi2 = new double[n];
        var nClipped = new int[n];
        var scratch = new float[(k + 2 * a) * (k + 2 * a)];
        for (int s = 0; s < n; s++)
        {
            var c = stars[s];
            int cx = (int)Math.Round(c.X), cy = (int)Math.Round(c.Y);
            data[s] = new double[np];
            StampShift.Recentre(image, cx - box.MinX, cy - box.MinY, c.X - cx, c.Y - cy, half, a, data[s]);
            int i = 0;
            for (int y = cy - half - a; y <= cy + half + a; y++)
                foreach (float value in variance.GetRowSpan(y - box.MinY).Slice(cx - half - a - box.MinX, k + 2 * a)) scratch[i++] = value;
            sky[s] = Math.Max(OrderStatistics.SelectQuantile(scratch, 0.5), 1e-30);
            terms[s] = new double[nt];
            var (u, v) = PixelBasisPsf.Normalize(box, c.X, c.Y);
            PixelBasisPsf.EvaluateTerms(order, u, v, terms[s]);
            flux[s] = c.Flux;
            model[s] = Gaussian(k, c.Moments.TraceRadius);
            used[s] = true;
            clipped[s] = new bool[np];
        }

        var coefficients = new double[nt * np];   // term-major: the basis cube
        var normal = new double[nt * nt];
        var rhs = new double[nt];
        for (int iteration = 0; ; iteration++)
        {
            cancel.ThrowIfCancellationRequested();
            // Each kernel pixel: weighted least squares over the stars.
            for (int p = 0; p < np; p++)
            {
                Array.Clear(normal);
                Array.Clear(rhs);
                for (int s = 0; s < n; s++)
                {
                    if (!used[s] || clipped[s][p]) continue;
                    double f = flux[s], w = f * f / (sky[s] + f * Math.Max(model[s][p], 0)), d = data[s][p] / f;
                    var t = terms[s];
                    for (int r = 0; r < nt; r++)
                    {
                        double wt = w * t[r];
                        rhs[r] += wt * d;
                        for (int q = 0; q <= r; q++) normal[r * nt + q] += wt * t[q];
                    }
                }
                if (!DenseCholesky.Solve(normal, rhs, nt, 1e-9))
                    throw new PsfMeasurementException(name, $"the PSF stars' positions do not constrain a spatial order {order} model at kernel pixel {p % k}, {p / k}", selection.Counts);
                for (int r = 0; r < nt; r++) coefficients[r * np + p] = rhs[r];
            }
            // The model at each star, its flux, residuals and clipped pixels.
            for (int s = 0; s < n; s++)
            {
                var m = model[s];
                Array.Clear(m);
                for (int r = 0; r < nt; r++)
                {
                    double tr = terms[s][r];
                    for (int p = 0; p < np; p++) m[p] += tr * coefficients[r * np + p];
                }
                double sum = m.Sum();
                if (!(sum > 0) || !double.IsFinite(sum))
                    throw new PsfMeasurementException(name, $"the fitted PSF sums to {sum} at the star at ({stars[s].X:F1}, {stars[s].Y:F1})", selection.Counts);
                for (int p = 0; p < np; p++) m[p] /= sum;
                double smd = 0, smm = 0;
                for (int p = 0; p < np; p++)
                {
                    if (clipped[s][p]) continue;
                    double w = 1 / (sky[s] + flux[s] * Math.Max(m[p], 0));
                    smd += w * m[p] * data[s][p];
                    smm += w * m[p] * m[p];
                }
                if (smd > 0) flux[s] = smd / smm;
                double chi = 0;
                int count = 0, clips = 0;
                for (int p = 0; p < np; p++)
                {
                    double r2 = Math.Pow(data[s][p] - flux[s] * m[p], 2) / (sky[s] + flux[s] * Math.Max(m[p], 0));
                    clipped[s][p] = r2 > config.PixelClipSigma * config.PixelClipSigma;
                    if (clipped[s][p]) clips++;
                    else
                    {
                        chi += r2;
                        count++;
                    }
                }
                chi2[s] = count > 0 ? chi / count : double.PositiveInfinity;
                nClipped[s] = clips;
            }
            if (iteration == config.Iterations - 1) break;
            RejectOutliers(chi2, used, config, config.StarsNeeded(order));
        }

        var basis = new float[nt * np];
        for (int i = 0; i < basis.Length; i++) basis[i] = (float)coefficients[i];
        PixelBasisPsf psf;
        try { psf = new PixelBasisPsf(k, order, box, basis); }
        catch (ArgumentException e) { throw new PsfMeasurementException(name, "the fitted PSF is not finite: " + e.Message, selection.Counts); }
        CheckModel(psf, name, selection.Counts);
        var fits = new PsfStarFit[n];
        for (int s = 0; s < n; s++) fits[s] = new PsfStarFit(stars[s], flux[s], chi2[s], nClipped[s], used[s]);
        var usedChi2 = Enumerable.Range(0, n).Where(s => used[s]).Select(s => chi2[s]).ToArray();
        return new PsfFitResult(psf, fits, order, usedChi2.Length, OrderStatistics.Median(usedChi2));
    }

    /// <summary>Marks as unused the worst stars whose chi-square exceeds median + clip x 1.4826 MAD, at most
    /// <see cref="PsfFitConfig.MaxRejectedFraction"/> of those used and never below <paramref name="minimum"/>.</summary>
    private static void RejectOutliers(double[] chi2, bool[] used, PsfFitConfig config, int minimum)
    {
        var values = Enumerable.Range(0, chi2.Length).Where(s => used[s]).Select(s => chi2[s]).ToArray();
        if (values.Length <= minimum) return;
        double median = OrderStatistics.Median(values);
        double mad = OrderStatistics.Median(values.Select(v => Math.Abs(v - median)).ToArray());
        double limit = median + config.StarClipSigma * 1.4826 * mad;
        int allowed = Math.Min((int)(config.MaxRejectedFraction * values.Length), values.Length - minimum);
        foreach (int s in Enumerable.Range(0, chi2.Length).Where(s => used[s] && !(chi2[s] <= limit)).OrderByDescending(s => chi2[s]).Take(allowed))
            used[s] = false;
    }

    /// <summary>The model must give a positive, finite kernel peaking within a pixel of the centre at the region's centre
    /// and corners.</summary>
    private static void CheckModel(PixelBasisPsf psf, string name, PsfStarSelectionCounts counts)
    {
        var r = psf.Region;
        int k = psf.KernelSize, c = k / 2;
        var kernel = new float[k * k];
        foreach (var (x, y) in new[] { (r.MinX + (r.Width - 1) / 2.0, r.MinY + (r.Height - 1) / 2.0), (r.MinX, r.MinY), (r.MaxX, r.MinY), (r.MinX, r.MaxY), (r.MaxX, r.MaxY) })
        {
            try { psf.ComputeKernelImage(x, y, new Span2D<float>(kernel, k, k)); }
            catch (InvalidOperationException e) { throw new PsfMeasurementException(name, e.Message, counts); }
            int peak = 0;
            for (int i = 1; i < kernel.Length; i++)
                if (kernel[i] > kernel[peak]) peak = i;
            if (Math.Abs(peak % k - c) > 1 || Math.Abs(peak / k - c) > 1)
                throw new PsfMeasurementException(name, $"the fitted PSF at ({x}, {y}) peaks at kernel pixel ({peak % k}, {peak / k}), not at its centre ({c}, {c})", counts);
        }
    }

    /// <summary>A round Gaussian of width <paramref name="sigma"/> sampled on a k x k grid, sum 1: the first fit's
    /// weights.</summary>
    private static double[] Gaussian(int k, double sigma)
    {
        var g = new double[k * k];
        int c = k / 2;
        double s2 = 2 * Math.Max(sigma, 0.3) * Math.Max(sigma, 0.3), sum = 0;
        for (int y = 0; y < k; y++)
            for (int x = 0; x < k; x++) sum += g[y * k + x] = Math.Exp(-((x - c) * (x - c) + (y - c) * (y - c)) / s2);
        for (int i = 0; i < g.Length; i++) g[i] /= sum;
        return g;
    }

}
