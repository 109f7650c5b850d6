using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageCore.Coadd;

internal static partial class StackStatistics
{
    /// <summary>MEAN's running sums for a block of output pixels, one warp added at a time (in warp order, so the
    /// streaming and the stacked paths give the same bits): per pixel sum w, sum w x, sum w^2 v (or, without input
    /// variances, sum w x^2 and sum w^2), the count and the OR of accepted and of rejected masks, and the weight
    /// rejected with each thresholded plane. <see cref="TotalWeight"/> is every added warp's weight.</summary>
    public sealed class MeanSums
    {
        private readonly StackRules _rules;
        private readonly int _width;
        private readonly double[] _sumW, _sumWX, _sumW2V, _sumWX2, _sumW2;
        private readonly int[] _count, _accepted, _rejected;
        private readonly float[][] _thresholdW;

        private readonly bool _vectorized;

        /// <summary>Sums for <paramref name="width"/> x <paramref name="height"/> pixels; <paramref name="vectorized"/> adds rows
        /// four pixels at a time (<see cref="AddRowVector"/>, the same bits as the scalar <see cref="AddRowScalar"/>).</summary>
        public MeanSums(int width, int height, StackRules rules, bool vectorized = true)
        {
            (_rules, _width) = (rules, width);
            _vectorized = vectorized && Vector256.IsHardwareAccelerated;
            long n = (long)width * height;
            (_sumW, _sumWX) = (new double[n], new double[n]);
            _sumW2V = rules.UseInputVariance ? new double[n] : [];
            (_sumWX2, _sumW2) = rules.UseInputVariance ? ([], []) : (new double[n], new double[n]);
            (_count, _accepted, _rejected) = (new int[n], new int[n], new int[n]);
            _thresholdW = rules.Thresholds.Select(_ => new float[n]).ToArray();
        }

        /// <summary>Sum of the weights of the warps added.</summary>
        public double TotalWeight { get; private set; }

        /// <summary>Zeroes every sum, for the next block of pixels.</summary>
        public void Clear()
        {
            Array.Clear(_sumW);
            Array.Clear(_sumWX);
            Array.Clear(_sumW2V);
            Array.Clear(_sumWX2);
            Array.Clear(_sumW2);
            Array.Clear(_count);
            Array.Clear(_accepted);
            Array.Clear(_rejected);
            foreach (var a in _thresholdW) Array.Clear(a);
            TotalWeight = 0;
        }

        /// <summary>Counts a warp's weight once (call once per warp, before or after its rows).</summary>
        public void AddWeight(double w) => TotalWeight += w;

        /// <summary>Adds row <paramref name="y"/> of one warp with weight <paramref name="w"/>.</summary>
        public void AddRow(int y, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, double w)
        {
            if (_vectorized) AddRowVector(y, x, v, m, w);
            else AddRowScalar(y, x, v, m, w, 0);
        }

        /// <summary>The vector path: four pixels per step (each lane as the scalar reference does it, in the same order
        /// of operations; a rejected sample adds +0, which leaves every sum's bits unchanged), then the scalar tail.</summary>
        internal void AddRowVector(int y, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, double w)
        {
            int o = y * _width, i = 0;
            var rules = _rules;
            var bad = Vector128.Create(rules.BadBits);
            var wv = Vector256.Create(w);
            var ww = Vector256.Create(w * w);
            var wf = Vector128.Create((float)w);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float vr = ref MemoryMarshal.GetReference(v);
            ref int mr = ref MemoryMarshal.GetReference(m);
            for (; i + 4 <= _width; i += 4)
            {
                int p = o + i;
                var xf = Vector128.LoadUnsafe(ref xr, (nuint)i);
                var mi = Vector128.LoadUnsafe(ref mr, (nuint)i);
                var good = Vector128.Equals(xf - xf, Vector128<float>.Zero).AsInt32() & Vector128.Equals(mi & bad, Vector128<int>.Zero);
                Vector128<float> vf = default;
                if (rules.UseInputVariance)
                {
                    vf = Vector128.LoadUnsafe(ref vr, (nuint)i);
                    good &= Vector128.Equals(vf - vf, Vector128<float>.Zero).AsInt32();
                }
                ref int rejected = ref _rejected[p];
                (Vector128.AndNot(mi, good) | Vector128.LoadUnsafe(ref rejected)).StoreUnsafe(ref rejected);
                for (int t = 0; t < _thresholdW.Length; t++)
                {
                    var hit = Vector128.AndNot(~Vector128.Equals(mi & Vector128.Create(rules.Thresholds[t].Bit), Vector128<int>.Zero), good);
                    ref float tw = ref _thresholdW[t][p];
                    (Vector128.LoadUnsafe(ref tw) + (wf & hit.AsSingle())).StoreUnsafe(ref tw);
                }
                ref int count = ref _count[p];
                (Vector128.LoadUnsafe(ref count) - good).StoreUnsafe(ref count);
                ref int accepted = ref _accepted[p];
                ((mi & good) | Vector128.LoadUnsafe(ref accepted)).StoreUnsafe(ref accepted);
                var g = Vector256.Create(Vector128.WidenLower(good), Vector128.WidenUpper(good)).AsDouble();
                var xd = Vector256.Create(Vector128.WidenLower(xf), Vector128.WidenUpper(xf));
                ref double sw = ref _sumW[p];
                (Vector256.LoadUnsafe(ref sw) + (wv & g)).StoreUnsafe(ref sw);
                var wx = wv * xd;
                ref double swx = ref _sumWX[p];
                (Vector256.LoadUnsafe(ref swx) + (wx & g)).StoreUnsafe(ref swx);
                if (rules.UseInputVariance)
                {
                    var vd = Vector256.Create(Vector128.WidenLower(vf), Vector128.WidenUpper(vf));
                    ref double sv = ref _sumW2V[p];
                    (Vector256.LoadUnsafe(ref sv) + ((ww * vd) & g)).StoreUnsafe(ref sv);
                }
                else
                {
                    ref double sx2 = ref _sumWX2[p];
                    (Vector256.LoadUnsafe(ref sx2) + ((wx * xd) & g)).StoreUnsafe(ref sx2);
                    ref double sw2 = ref _sumW2[p];
                    (Vector256.LoadUnsafe(ref sw2) + (ww & g)).StoreUnsafe(ref sw2);
                }
            }
            AddRowScalar(y, x, v, m, w, i);
        }

        /// <summary>The scalar reference, from column <paramref name="start"/> (the vector path's tail).</summary>
        internal void AddRowScalar(int y, ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<int> m, double w, int start)
        {
            int o = y * _width;
            var rules = _rules;
            for (int i = start; i < _width; i++)
            {
                int p = o + i;
                if (!IsGood(x[i], v[i], m[i], rules))
                {
                    _rejected[p] |= m[i];
                    for (int t = 0; t < _thresholdW.Length; t++)
                        if ((m[i] & rules.Thresholds[t].Bit) != 0) _thresholdW[t][p] += (float)w;
                    continue;
                }
                _count[p]++;
                _accepted[p] |= m[i];
                _sumW[p] += w;
                _sumWX[p] += w * x[i];
                if (rules.UseInputVariance) _sumW2V[p] += w * w * v[i];
                else
                {
                    _sumWX2[p] += w * x[i] * x[i];
                    _sumW2[p] += w * w;
                }
            }
        }

        /// <summary>The output pixels of row <paramref name="y"/>.</summary>
        public void FinishRow(int y, Span<float> image, Span<float> variance, Span<int> mask)
        {
            int o = y * _width;
            var rules = _rules;
            for (int i = 0; i < _width; i++)
            {
                int p = o + i;
                int bits = _accepted[p] | PropagatedBits(_rejected[p], rules);
                for (int t = 0; t < _thresholdW.Length; t++)
                    if (_thresholdW[t][p] > rules.Thresholds[t].Threshold * TotalWeight) bits |= rules.Thresholds[t].Bit;
                int n = _count[p];
                if (n == 0)
                {
                    NoGoodSample(rules, ref bits, out image[i], out variance[i]);
                    mask[i] = bits;
                    continue;
                }
                double sw = _sumW[p], mean = _sumWX[p] / sw;
                double var = rules.UseInputVariance ? _sumW2V[p] / (sw * sw)
                           : n > 1 ? Math.Max(0, _sumWX2[p] / sw - mean * mean) * n / (n - 1) * _sumW2[p] / (sw * sw) : double.PositiveInfinity;
                image[i] = (float)mean;
                variance[i] = FinishVariance(var, rules, ref bits);
                if ((bits & (rules.SensorEdge | rules.Rejected | rules.Clipped)) != 0) bits |= rules.InexactPsf;
                mask[i] = bits;
            }
        }
    }
}
