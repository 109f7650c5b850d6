using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;

namespace ImageCore.Warp;

/// <summary>
/// A separable warping kernel as afw defines them: <c>lanczosN</c> (2N x 2N taps), <c>bilinear</c> and
/// <c>nearest</c> (2 x 2). The centre tap is ctr = (size - 1) / 2 (integer division), and tap i of a source
/// position with fractional part f in [0, 1) is evaluated at x = i - ctr - f, so the footprint in the source
/// starts at floor(position) - ctr.
/// </summary>
public sealed partial class WarpingKernel
{
    private readonly int _order;   // Lanczos order; 0 for bilinear, -1 for nearest

    private WarpingKernel(string name, int size, int order)
    {
        Name = name;
        Size = size;
        Center = (size - 1) / 2;
        _order = order;
    }

    /// <summary>The kernel's name (lanczos3, bilinear, nearest).</summary>
    public string Name { get; }

    /// <summary>Taps per axis.</summary>
    public int Size { get; }

    /// <summary>Index of the centre tap.</summary>
    public int Center { get; }

    private static readonly WarpingKernel?[] LanczosKernels = new WarpingKernel?[11];

    /// <summary>The default image kernel of Rubin's warps.</summary>
    public static WarpingKernel Lanczos3 { get; } = Lanczos(3);

    /// <summary>Bilinear: taps (1 - f, f).</summary>
    public static WarpingKernel Bilinear { get; } = new("bilinear", 2, 0);

    /// <summary>Nearest neighbour: tap 0 when f &lt; 0.5, else tap 1.</summary>
    public static WarpingKernel Nearest { get; } = new("nearest", 2, -1);

    /// <summary>Lanczos of order <paramref name="n"/> (1-10).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Order outside 1..10.</exception>
    public static WarpingKernel Lanczos(int n)
    {
        if (n is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(n), n, "Lanczos order must be 1..10");
        // One instance per order, so its tap table is built once per process.
        return LanczosKernels[n] ??= new WarpingKernel($"lanczos{n}", 2 * n, n);
    }



    /// <summary>The kernel named <paramref name="name"/>: <c>lanczosN</c>, <c>bilinear</c> or <c>nearest</c>.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static WarpingKernel Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "bilinear") return Bilinear;
        if (name == "nearest") return Nearest;
        var m = LanczosName().Match(name);
        if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 10) return Lanczos(n);
        throw new ArgumentException($"unknown warping kernel '{name}' (lanczos1..lanczos10, bilinear, nearest)", nameof(name));
    }

    /// <summary>The 1-D taps for fractional position <paramref name="f"/> in [0, 1) into <paramref name="taps"/>
    /// (<see cref="Size"/> entries); returns their sum (not renormalised: the warper divides by the 2-D sum).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public double Taps(double f, Span<double> taps)
    {
        double sum = 0;
        switch (_order)
        {
            case -1:
                taps[0] = f < 0.5 ? 1 : 0;
                taps[1] = 1 - taps[0];
                return 1;
            case 0:
                taps[0] = 1 - f;
                taps[1] = f;
                return 1;
            default:
                {
                    // Two sines for all taps: x_i = i - ctr - f steps by 1, so sin(pi x_i) alternates in sign and
                    // sin(pi x_i / n) advances by the fixed angle pi / n (angle addition).
                    int n = _order;
                    double x0 = -Center - f;
                    double s1 = Math.Sin(Math.PI * x0);
                    var (s2, c2) = Math.SinCos(Math.PI * x0 / n);
                    var (sd, cd) = Math.SinCos(Math.PI / n);
                    for (int i = 0; i < Size; i++)
                    {
                        double x = x0 + i, px = Math.PI * x;
                        double value = Math.Abs(px) < 1e-5 ? 1 : s1 * s2 / (px * px / n);
                        sum += taps[i] = value;
                        s1 = -s1;
                        (s2, c2) = (s2 * cd + c2 * sd, c2 * cd - s2 * sd);
                    }
                    return sum;
                }
        }
    }

    private sealed record TapTable(double[] Values, int Bins);

    private TapTable? _table;   // replaced whole (one reference), so readers never see half an update
    private readonly Lock _tableLock = new();

    private double[] Table(int bins)
    {
        if (_table is { } built && built.Bins == bins) return built.Values;
        lock (_tableLock)
        {
            if (_table is { } again && again.Bins == bins) return again.Values;
            var values = new double[(bins + 1) * Size];
            for (int b = 0; b <= bins; b++) Taps((double)b / bins, values.AsSpan(b * Size, Size));
            _table = new TapTable(values, bins);
            return values;
        }
    }

    /// <summary>The taps for <paramref name="f"/> from a table of <paramref name="bins"/> + 1 exact evaluations over
    /// [0, 1], linearly interpolated (exact at f = 0 and at every bin edge; in between the error is below
    /// (1/bins)^2 / 8 times the kernel's largest second derivative: about 2e-7 for lanczos3 at 4096 bins). afw's
    /// kernel cache does the same without the interpolation. Returns the taps' sum.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public double TapsTabulated(double f, Span<double> taps, int bins)
    {
        if (_order <= 0) return Taps(f, taps);
        var table = Table(bins);
        double pos = f * bins;
        // The plain truncating conversion (no saturation fix-up: 0 <= pos <= bins here), kept inside the table for any f.
        int bin = Math.Clamp(double.ConvertToIntegerNative<int>(pos), 0, bins - 1);
        double t = pos - bin, sum = 0;
        int o = bin * Size;
        for (int i = 0; i < Size; i++)
        {
            double a = table[o + i], b = table[o + Size + i];
            sum += taps[i] = t == 0 ? a : a + (b - a) * t;
        }
        return sum;
    }

    /// <summary>True for Lanczos kernels, whose taps come from a table when asked; bilinear and nearest are always exact.</summary>
    internal bool IsTabulated => _order > 0;

    /// <summary>Entries per tap row in the single-precision taps the warper uses: at least 8 (one Vector256, so a
    /// lanczos3 or lanczos4 row is one vector load), padded with zeros beyond <see cref="Size"/>.</summary>
    internal int TapStride => Math.Max(8, Size);

    private sealed record SingleTable(float[] Values, int Bins);

    private SingleTable? _singleTable;   // replaced whole, as _table

    /// <summary>Renormalised single-precision taps at fractions b / bins, b = 0..bins, <see cref="TapStride"/> apart
    /// (built once per kernel and bin count, thread-safe).</summary>
    internal float[] NormalizedTable(int bins)
    {
        if (_singleTable is { } built && built.Bins == bins) return built.Values;
        lock (_tableLock)
        {
            if (_singleTable is { } again && again.Bins == bins) return again.Values;
            int stride = TapStride;
            var values = new float[(bins + 1) * stride];
            Span<double> taps = stackalloc double[Size];
            for (int b = 0; b <= bins; b++)
            {
                double sum = Taps((double)b / bins, taps);
                for (int i = 0; i < Size; i++) values[b * stride + i] = (float)(taps[i] / sum);
            }
            _singleTable = new SingleTable(values, bins);
            return values;
        }
    }

    /// <summary>Taps for <paramref name="f"/> in [0, 1), renormalised to sum 1, in single precision, into
    /// <paramref name="taps"/> (<see cref="TapStride"/> entries; zeros beyond <see cref="Size"/>). With
    /// <paramref name="bins"/> &gt; 0 a Lanczos kernel interpolates linearly between renormalised taps tabulated at
    /// bins + 1 fractions (each entry a + t (b - a), fused), so the result still sums to 1 up to rounding; otherwise,
    /// and for bilinear and nearest, the exact taps are divided by their sum.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal unsafe void NormalizedTaps(double f, float* taps, int bins)
    {
        int stride = TapStride;
        if (_order > 0 && bins > 0)
        {
            fixed (float* table = NormalizedTable(bins)) Interpolate(table, stride, bins, f, taps);
            return;
        }
        if (_order <= 0)
        {
            // Bilinear and nearest: the taps already sum to 1.
            taps[0] = _order == 0 ? (float)(1 - f) : f < 0.5 ? 1 : 0;
            taps[1] = _order == 0 ? (float)f : f < 0.5 ? 0 : 1;
            for (int i = 2; i < stride; i++) taps[i] = 0;
            return;
        }
        Span<double> exact = stackalloc double[Size];
        double sum = Taps(f, exact);
        for (int i = 0; i < Size; i++) taps[i] = (float)(exact[i] / sum);
        for (int i = Size; i < stride; i++) taps[i] = 0;
    }

    /// <summary>The taps for <paramref name="f"/> interpolated from a <see cref="NormalizedTable"/> (see <see cref="NormalizedTaps"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Interpolate(float* table, int stride, int bins, double f, float* taps)
    {
        float* row = TableRow(table, stride, bins, f, out float t), next = row + stride;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Elementwise fused multiply-adds: the same bits as the scalar loop below.
            var vt = Vector256.Create(t);
            for (; i + 8 <= stride; i += 8) Lerp8(row + i, next + i, vt).Store(taps + i);
        }
        for (; i < stride; i++) taps[i] = MathF.FusedMultiplyAdd(t, next[i] - row[i], row[i]);
    }

    /// <summary>The row of a <see cref="NormalizedTable"/> (<paramref name="stride"/> apart) at or below <paramref name="f"/>,
    /// and in <paramref name="t"/> how far <paramref name="f"/> lies towards the next row.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static unsafe float* TableRow(float* table, int stride, int bins, double f, out float t) =>
        TableRow(table, stride, (double)bins, bins - 1, f, out t);

    /// <summary><see cref="TableRow(float*, int, int, double, out float)"/> with the bin count as a double and the last
    /// bin given (hoisted out of a loop over pixels).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static unsafe float* TableRow(float* table, int stride, double bins, int lastBin, double f, out float t)
    {
        double pos = f * bins;
        // The plain truncating conversion (no saturation fix-up: 0 <= pos <= bins here), kept inside the table for any f.
        int bin = Math.Clamp(double.ConvertToIntegerNative<int>(pos), 0, lastBin);
        t = (float)(pos - bin);
        return table + bin * stride;
    }

    /// <summary>Eight taps between two table rows: row + t (next - row), one fused multiply-add per tap.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector256<float> Lerp8(float* row, float* next, Vector256<float> t)
    {
        var a = Vector256.Load(row);
        return Vector256.FusedMultiplyAdd(t, Vector256.Load(next) - a, a);
    }

    /// <summary>Which of the taps for <paramref name="f"/> are non-zero, as bits (bit i: tap i); the mask kernel
    /// spreads a mask bit only over these.</summary>
    internal int Support(double f)
    {
        switch (_order)
        {
            case -1: return f < 0.5 ? 0b01 : 0b10;
            case 0: return f == 0 ? 0b01 : 0b11;
            default:
                {
                    Span<double> taps = stackalloc double[Size];
                    Taps(f, taps);
                    int bits = 0;
                    for (int i = 0; i < Size; i++)
                        if (taps[i] != 0) bits |= 1 << i;
                    return bits;
                }
        }
    }

    /// <summary>L(x) = sin(pi x) sin(pi x / n) / (pi^2 x^2 / n), 1 where |pi x| &lt; 1e-5 (afw's LanczosFunction1; not truncated).</summary>
    public static double LanczosValue(double x, int n)
    {
        double px = Math.PI * x;
        if (Math.Abs(px) < 1e-5) return 1;
        return Math.Sin(px) * Math.Sin(px / n) / (px * px / n);
    }

    [GeneratedRegex(@"^lanczos(\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex LanczosName();
}
