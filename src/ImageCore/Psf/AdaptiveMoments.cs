using CommunityToolkit.HighPerformance;

namespace ImageCore.Psf;

/// <summary>What <see cref="AdaptiveMoments.Measure"/> found: the centroid, the moments, the Gaussian-weighted flux.</summary>
/// <param name="X">Centroid column, in the coordinates of the measured view (pixel centres at integers).</param>
/// <param name="Y">Centroid row, likewise.</param>
/// <param name="Moments">The adaptive second moments, pixels^2 (for a Gaussian source, its own moments).</param>
/// <param name="Flux">The Gaussian-weighted flux normalised so that a Gaussian source gives its total flux
/// (2 sum(w I) with the converged weight w), image units.</param>
/// <param name="FluxVariance">Its variance (4 sum(w^2 V)); NaN when no variance was given.</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="Converged">True when moments and centroid settled (relative change below 1e-6, centroid shift below
/// 1e-4 pixel); false when the iterations ran out or the moments stopped being positive definite (then the other
/// fields hold the last usable estimate).</param>
public readonly record struct AdaptiveMomentsResult(double X, double Y, PsfMoments Moments, double Flux, double FluxVariance, int Iterations, bool Converged)
{
    /// <summary>Flux over its standard deviation; NaN without a variance.</summary>
    public double SignalToNoise => Flux / Math.Sqrt(FluxVariance);
}

/// <summary>
/// Adaptive (elliptical Gaussian-weighted) moments, as SdssShape and HSM measure them: the weight is an elliptical
/// Gaussian whose centre and moments are iterated until they equal the source's own, so that for a Gaussian source the
/// result is its exact centroid and second moments whatever the starting guess. Each iteration takes the weighted
/// centroid and moments Q of the pixels within 4 sigma of the weight, removes the weight's own moments
/// (M_source = (Q^-1 - M_weight^-1)^-1, or 2 Q where that is not positive definite) and moves the centre by
/// M_source Q^-1 times the weighted offset.
/// </summary>
public static class AdaptiveMoments
{
    /// <summary>The smallest moment allowed, pixels^2 (a source narrower than this is a point).</summary>
    private const double MinMoment = 1e-4;

    /// <summary>Measures the source near (<paramref name="x"/>, <paramref name="y"/>) of <paramref name="image"/>.</summary>
    /// <param name="image">The pixels (background subtracted); coordinates are its own (column, row).</param>
    /// <param name="x">Starting centroid column.</param>
    /// <param name="y">Starting centroid row.</param>
    /// <param name="sigma">Starting weight width, pixels (&gt; 0).</param>
    /// <param name="variance">The pixels' variance, same size as <paramref name="image"/>, or an empty view for none
    /// (then <see cref="AdaptiveMomentsResult.FluxVariance"/> is NaN).</param>
    /// <param name="maxIterations">Iterations at most.</param>
    /// <param name="maxSigma">A weight wider than this (pixels) stops the iterations unconverged.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigma"/> not &gt; 0, or a variance of another size.</exception>
    public static AdaptiveMomentsResult Measure(ReadOnlySpan2D<float> image, double x, double y, double sigma, ReadOnlySpan2D<float> variance = default,
                                                int maxIterations = 100, double maxSigma = 50)
    {
        if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), $"starting sigma {sigma} must be finite and > 0");
        bool withVariance = variance.Width != 0 || variance.Height != 0;
        if (withVariance && (variance.Width != image.Width || variance.Height != image.Height))
            throw new ArgumentOutOfRangeException(nameof(variance), $"variance is {variance.Width}x{variance.Height} but the image is {image.Width}x{image.Height}");
        double mxx = sigma * sigma, myy = mxx, mxy = 0, xc = x, yc = y;
        double flux = double.NaN, fluxVariance = double.NaN;
        for (int iteration = 1; iteration <= maxIterations; iteration++)
        {
            double det = mxx * myy - mxy * mxy;
            double ixx = myy / det, iyy = mxx / det, ixy = -mxy / det;
            int r = (int)Math.Ceiling(4 * Math.Sqrt(Math.Max(mxx, myy)));
            int x0 = Math.Max(0, (int)Math.Floor(xc) - r), x1 = Math.Min(image.Width - 1, (int)Math.Ceiling(xc) + r);
            int y0 = Math.Max(0, (int)Math.Floor(yc) - r), y1 = Math.Min(image.Height - 1, (int)Math.Ceiling(yc) + r);
            double s0 = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sv = 0;
            for (int row = y0; row <= y1; row++)
            {
                var pixels = image.GetRowSpan(row);
                var vars = withVariance ? variance.GetRowSpan(row) : default;
                double dy = row - yc;
                for (int col = x0; col <= x1; col++)
                {
                    double dx = col - xc;
                    double q = dx * dx * ixx + 2 * dx * dy * ixy + dy * dy * iyy;
                    if (q > 16) continue;
                    double w = Math.Exp(-0.5 * q), wi = w * pixels[col];
                    s0 += wi;
                    sx += wi * dx;
                    sy += wi * dy;
                    sxx += wi * dx * dx;
                    syy += wi * dy * dy;
                    sxy += wi * dx * dy;
                    if (withVariance) sv += w * w * vars[col];
                }
            }
            if (!(s0 > 0)) return Result(iteration, false);
            flux = 2 * s0;
            fluxVariance = withVariance ? 4 * sv : double.NaN;
            double ux = sx / s0, uy = sy / s0;
            double qxx = sxx / s0 - ux * ux, qyy = syy / s0 - uy * uy, qxy = sxy / s0 - ux * uy;
            double detQ = qxx * qyy - qxy * qxy;
            if (!(qxx > 0 && detQ > 0)) return Result(iteration, false);
            double qixx = qyy / detQ, qiyy = qxx / detQ, qixy = -qxy / detQ;
            double cixx = qixx - ixx, ciyy = qiyy - iyy, cixy = qixy - ixy, detC = cixx * ciyy - cixy * cixy;
            double nxx, nyy, nxy;
            if (cixx > 0 && detC > 0) (nxx, nyy, nxy) = (ciyy / detC, cixx / detC, -cixy / detC);
            else (nxx, nyy, nxy) = (2 * qxx, 2 * qyy, 2 * qxy);
            nxx = Math.Max(nxx, MinMoment);
            nyy = Math.Max(nyy, MinMoment);
            double limit = 0.999 * Math.Sqrt(nxx * nyy);
            nxy = Math.Clamp(nxy, -limit, limit);
            // The source's centre: its moments times Q^-1 times the weighted offset (2 u once the weight matches).
            double shiftX = (nxx * qixx + nxy * qixy) * ux + (nxx * qixy + nxy * qiyy) * uy;
            double shiftY = (nxy * qixx + nyy * qixy) * ux + (nxy * qixy + nyy * qiyy) * uy;
            if (Math.Abs(shiftX) > r || Math.Abs(shiftY) > r) return Result(iteration, false);
            xc += shiftX;
            yc += shiftY;
            double change = Math.Max(Math.Abs(nxx - mxx), Math.Max(Math.Abs(nyy - myy), Math.Abs(nxy - mxy))) / (mxx + myy);
            (mxx, myy, mxy) = (nxx, nyy, nxy);
            if (Math.Max(mxx, myy) > maxSigma * maxSigma || !double.IsFinite(xc) || !double.IsFinite(yc)) return Result(iteration, false);
            if (change < 1e-6 && Math.Abs(shiftX) < 1e-4 && Math.Abs(shiftY) < 1e-4) return Result(iteration, true);
        }
        return Result(maxIterations, false);

        AdaptiveMomentsResult Result(int iterations, bool converged) =>
            new(xc, yc, new PsfMoments(mxx, myy, mxy), flux, fluxVariance, iterations, converged);
    }
}
