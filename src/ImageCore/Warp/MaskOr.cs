using System.Numerics;

namespace ImageCore.Warp;

/// <summary>Running OR of mask bits over a window (the mask of <see cref="PsfMatchConvolution"/>): along a row by a
/// sparse table (windows of 1, 2, 4, ... then two overlapping windows of the largest power of two), down the columns with
/// <see cref="Vector{T}"/> words. Each has a plain scalar reference.</summary>
internal static class MaskOr
{
    /// <summary>d[i] = s[i] | s[i + 1] | ... | s[i + n - 1]; s has d.Length + n - 1 values; tmp at least as long as s.</summary>
    public static void Window(ReadOnlySpan<int> s, int n, Span<int> d, int[] tmp)
    {
        int len = d.Length + n - 1;
        var w = tmp.AsSpan(0, len);
        s[..len].CopyTo(w);
        int span = 1;
        while (2 * span <= n)
        {
            // In place, front to back: w[i + span] is still the previous pass's when w[i] is written.
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (int step = Vector<int>.Count; i + span + step <= len; i += step)
                    (new Vector<int>(w.Slice(i, step)) | new Vector<int>(w.Slice(i + span, step))).CopyTo(w.Slice(i, step));
            for (; i + span < len; i++) w[i] |= w[i + span];
            span *= 2;
        }
        int shift = n - span;
        for (int i = 0; i < d.Length; i++) d[i] = w[i] | w[i + shift];
    }

    /// <summary>The scalar reference of <see cref="Window"/>.</summary>
    public static void WindowScalar(ReadOnlySpan<int> s, int n, Span<int> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            int m = 0;
            for (int k = 0; k < n; k++) m |= s[i + k];
            d[i] = m;
        }
    }

    /// <summary>d[i] = OR over k &lt; n of rows[k * stride + i].</summary>
    public static void Column(ReadOnlySpan<int> rows, int stride, int n, Span<int> d)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int step = Vector<int>.Count;
            for (; i <= d.Length - step; i += step)
            {
                var acc = new Vector<int>(rows.Slice(i, step));
                for (int k = 1; k < n; k++) acc |= new Vector<int>(rows.Slice(k * stride + i, step));
                acc.CopyTo(d.Slice(i, step));
            }
        }
        ColumnScalar(rows, stride, n, d, i);
    }

    /// <summary>The scalar reference of <see cref="Column"/> (and its tail).</summary>
    public static void ColumnScalar(ReadOnlySpan<int> rows, int stride, int n, Span<int> d, int from = 0)
    {
        for (int i = from; i < d.Length; i++)
        {
            int m = 0;
            for (int k = 0; k < n; k++) m |= rows[k * stride + i];
            d[i] = m;
        }
    }
}
