namespace ImageCore.Characterize;

/// <summary>One piece of a 1-D background curve: <c>A + B t + C t^2 + D t^3</c> with <c>t = x - Origin</c>.</summary>
internal readonly record struct SplinePiece(double Origin, double A, double B, double C, double D)
{
    /// <summary>The piece at <paramref name="x"/>, by Horner's rule in double precision.</summary>
    public double At(double x)
    {
        double t = x - Origin;
        return ((D * t + C) * t + B) * t + A;
    }
}

/// <summary>
/// The 1-D curves of the background model through n knots (bin centres) x[0] &lt; ... &lt; x[n-1]: n + 1 pieces,
/// piece 0 the linear continuation left of x[0], piece k + 1 the cubic (or line) on [x[k], x[k+1]], piece n the linear
/// continuation right of x[n-1], both continuations with the curve's end tangent (so a plane is reproduced exactly
/// to the image edge). Akima (1970): the tangent at knot i is (w1 m[i-1] + w2 m[i]) / (w1 + w2) with
/// w1 = |m[i+1] - m[i]|, w2 = |m[i-1] - m[i-2]| (their mean when both are 0), the slopes m beyond the ends continued
/// linearly (m[-1] = 2 m[0] - m[1], m[-2] = 2 m[-1] - m[0], and likewise at the right end), as in Akima's paper and
/// GSL's <c>akima</c>; it needs 3 knots, so 2 knots give a line and 1 a constant.
/// </summary>
internal static class BackgroundSpline
{
    /// <summary>Fills <paramref name="pieces"/> (length n + 1) for knots <paramref name="x"/> (increasing) and values
    /// <paramref name="y"/> (finite); <paramref name="slopes"/> is scratch of length n + 3.</summary>
    public static void Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y, BackgroundInterpolation interpolation,
                           Span<SplinePiece> pieces, Span<double> slopes)
    {
        int n = x.Length;
        if (n == 1)
        {
            pieces[0] = new SplinePiece(x[0], y[0], 0, 0, 0);
            pieces[1] = pieces[0];
            return;
        }
        if (interpolation == BackgroundInterpolation.Linear || n == 2)
        {
            for (int k = 0; k < n - 1; k++)
                pieces[k + 1] = new SplinePiece(x[k], y[k], (y[k + 1] - y[k]) / (x[k + 1] - x[k]), 0, 0);
            pieces[0] = new SplinePiece(x[0], y[0], pieces[1].B, 0, 0);
            pieces[n] = new SplinePiece(x[n - 1], y[n - 1], pieces[n - 1].B, 0, 0);
            return;
        }
        // m[k] (slope of interval k) is slopes[k + 2]; slopes[0..1] and slopes[n+1..n+2] are the continuations.
        for (int k = 0; k < n - 1; k++) slopes[k + 2] = (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
        slopes[1] = 2 * slopes[2] - slopes[3];
        slopes[0] = 2 * slopes[1] - slopes[2];
        slopes[n + 1] = 2 * slopes[n] - slopes[n - 1];
        slopes[n + 2] = 2 * slopes[n + 1] - slopes[n];
        double previousTangent = Tangent(slopes, 0);
        pieces[0] = new SplinePiece(x[0], y[0], previousTangent, 0, 0);
        for (int k = 0; k < n - 1; k++)
        {
            double t0 = previousTangent, t1 = Tangent(slopes, k + 1), dx = x[k + 1] - x[k], m = slopes[k + 2];
            pieces[k + 1] = new SplinePiece(x[k], y[k], t0, (3 * m - 2 * t0 - t1) / dx, (t0 + t1 - 2 * m) / (dx * dx));
            previousTangent = t1;
        }
        pieces[n] = new SplinePiece(x[n - 1], y[n - 1], previousTangent, 0, 0);
    }

    /// <summary>Akima's tangent at knot <paramref name="i"/> (slopes offset by 2).</summary>
    private static double Tangent(ReadOnlySpan<double> slopes, int i)
    {
        double mm2 = slopes[i], mm1 = slopes[i + 1], m0 = slopes[i + 2], mp1 = slopes[i + 3];
        double w1 = Math.Abs(mp1 - m0), w2 = Math.Abs(mm1 - mm2);
        return w1 + w2 == 0 ? 0.5 * (mm1 + m0) : (w1 * mm1 + w2 * m0) / (w1 + w2);
    }

    /// <summary>The piece (0..n) that holds <paramref name="x"/> for knots <paramref name="knots"/>: 0 left of the first
    /// knot, n at or right of the last, else k + 1 for x[k] &lt;= x &lt; x[k+1].</summary>
    public static int PieceIndex(ReadOnlySpan<double> knots, double x)
    {
        int n = knots.Length;
        if (x < knots[0]) return 0;
        if (x >= knots[n - 1]) return n;
        int lo = 0, hi = n - 1;   // knots[lo] <= x < knots[hi]
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (knots[mid] <= x) lo = mid; else hi = mid;
        }
        return lo + 1;
    }
}
