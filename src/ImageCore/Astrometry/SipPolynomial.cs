using ImageCore.Fits;

namespace ImageCore.Astrometry;

/// <summary>
/// One SIP distortion polynomial (Shupe et al. 2005): <c>f(u, v) = sum over p + q &lt;= order of
/// c[p, q] u^p v^q</c>, in pixels, with u, v pixel offsets from the reference pixel. The FITS keywords are
/// <c>{NAME}_ORDER</c> and <c>{NAME}_p_q</c> (NAME is A, B, AP or BP); absent coefficients are 0.
/// </summary>
public sealed class SipPolynomial
{
    private readonly double[] _c;   // c[p * (Order + 1) + q]

    /// <summary>A polynomial of <paramref name="order"/> with the given coefficients [p, q] (entries with p + q &gt; order are ignored).</summary>
    /// <exception cref="ArgumentException">Order outside 0..9 or a coefficient array that is not (order+1) x (order+1).</exception>
    public SipPolynomial(int order, double[,] coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (order is < 0 or > 9) throw new ArgumentException($"SIP order {order} must be 0..9", nameof(order));
        if (coefficients.GetLength(0) != order + 1 || coefficients.GetLength(1) != order + 1)
            throw new ArgumentException($"SIP coefficients must be {order + 1} x {order + 1}", nameof(coefficients));
        Order = order;
        _c = new double[(order + 1) * (order + 1)];
        for (int p = 0; p <= order; p++)
            for (int q = 0; q <= order - p; q++) _c[p * (order + 1) + q] = coefficients[p, q];
    }

    /// <summary>The polynomial order.</summary>
    public int Order { get; }

    /// <summary>Coefficient of u^p v^q.</summary>
    public double this[int p, int q] => p >= 0 && q >= 0 && p + q <= Order ? _c[p * (Order + 1) + q] : 0;

    /// <summary>f(u, v) by Horner's rule in v inside u.</summary>
    public double Evaluate(double u, double v)
    {
        int n = Order;
        double sum = 0;
        for (int p = n; p >= 0; p--)
        {
            double inner = 0;
            for (int q = n - p; q >= 0; q--) inner = inner * v + _c[p * (n + 1) + q];
            sum = sum * u + inner;
        }
        return sum;
    }

    /// <summary>f and its partial derivatives with respect to u and v.</summary>
    public (double F, double DfDu, double DfDv) EvaluateWithGradient(double u, double v)
    {
        int n = Order;
        // Powers by repeated multiplication from 1, u^k = u^(k-1) * u: the values a per-term power loop gives.
        Span<double> uk = stackalloc double[n + 1], vk = stackalloc double[n + 1];
        uk[0] = vk[0] = 1;
        for (int k = 1; k <= n; k++)
        {
            uk[k] = uk[k - 1] * u;
            vk[k] = vk[k - 1] * v;
        }
        double f = 0, du = 0, dv = 0;
        for (int p = 0; p <= n; p++)
        {
            double up = uk[p], upm1 = p > 0 ? uk[p - 1] : 0;
            for (int q = 0; q <= n - p; q++)
            {
                double c = _c[p * (n + 1) + q];
                if (c == 0) continue;
                double vq = vk[q];
                f += c * up * vq;
                if (p > 0) du += c * p * upm1 * vq;
                if (q > 0) dv += c * q * up * vk[q - 1];
            }
        }
        return (f, du, dv);
    }

    /// <summary>Reads <c>{name}_ORDER</c> and its coefficients, or returns null when the order keyword is absent.</summary>
    /// <exception cref="FitsFormatException">An order outside 0..9 or a coefficient that is not a number.</exception>
    public static SipPolynomial? FromHeader(FitsHeader header, string name)
    {
        ArgumentNullException.ThrowIfNull(header);
        string orderKey = name + "_ORDER";
        if (!header.Contains(orderKey)) return null;
        long order = header.GetInt64(orderKey);
        if (order is < 0 or > 9) throw new FitsFormatException(header.Source, header.HduIndex, -1, orderKey, $"SIP order {order} must be 0..9");
        int n = (int)order;
        var c = new double[n + 1, n + 1];
        for (int p = 0; p <= n; p++)
            for (int q = 0; q <= n - p; q++) c[p, q] = header.GetDouble($"{name}_{p}_{q}", 0);
        return new SipPolynomial(n, c);
    }

    /// <summary>Writes <c>{name}_ORDER</c> and the non-zero coefficients.</summary>
    public void WriteTo(FitsHeader header, string name)
    {
        ArgumentNullException.ThrowIfNull(header);
        header.Set(name + "_ORDER", (long)Order, "SIP polynomial order");
        for (int p = 0; p <= Order; p++)
            for (int q = 0; q <= Order - p; q++)
                if (this[p, q] != 0) header.Set($"{name}_{p}_{q}", this[p, q]);
    }
}
