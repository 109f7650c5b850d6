using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>
/// ISR step 22: grow SAT by one pixel (4-connected), then replace every pixel with any of the given mask
/// bits by a linear interpolation along its row between the nearest good pixels on each side (one side
/// at an image edge; 0 with infinite variance when the whole row is bad), variance likewise,
/// and set INTRP. This follows meas_algorithms' row-wise legacy interpolation in spirit; its fallback
/// clipped mean and its special handling of wide defects are not reproduced.
/// </summary>
public static class Interpolation
{
    /// <summary>Interpolates over pixels with any bit of <paramref name="badBits"/>; returns how many were replaced.
    /// Only the non-zero mask pixels are visited (found with the runtime's vectorized search), so clean rows cost
    /// one scan.</summary>
    public static long OverDefects(MaskedImage mi, int badBits, bool growSaturated = true)
    {
        var mask = mi.Mask;
        int sat = mask.GetBitMask("SAT"), intrp = mask.GetBitMask("INTRP");
        int w = mi.BBox.Width, h = mi.BBox.Height;
        var m = mask.Image.Pixels;
        if (growSaturated && (badBits & sat) != 0)
        {
            var grow = new List<(int X, int Y)>();
            for (int y = 0; y < h; y++)
            {
                var row = m.GetRowSpan(y);
                for (int x = NextNonZero(row, 0); x < w; x = NextNonZero(row, x + 1))
                {
                    if ((row[x] & sat) == 0) continue;
                    if (x > 0 && (row[x - 1] & sat) == 0) grow.Add((x - 1, y));
                    if (x < w - 1 && (row[x + 1] & sat) == 0) grow.Add((x + 1, y));
                    if (y > 0 && (m[y - 1, x] & sat) == 0) grow.Add((x, y - 1));
                    if (y < h - 1 && (m[y + 1, x] & sat) == 0) grow.Add((x, y + 1));
                }
            }
            foreach (var (x, y) in grow) m[y, x] |= sat;
        }
        var img = mi.Image.Pixels;
        var var = mi.Variance.Pixels;
        long replaced = 0;
        for (int y = 0; y < h; y++)
        {
            var mr = m.GetRowSpan(y);
            var ir = img.GetRowSpan(y);
            var vr = var.GetRowSpan(y);
            int xx = NextNonZero(mr, 0);
            while (xx < w)
            {
                if ((mr[xx] & badBits) == 0) { xx = NextNonZero(mr, xx + 1); continue; }
                int start = xx;
                while (xx < w && (mr[xx] & badBits) != 0) xx++;
                int left = start - 1, right = xx;   // nearest good pixels, or out of the row
                for (int x = start; x < xx; x++)
                {
                    (ir[x], vr[x]) = (left >= 0, right < w) switch
                    {
                        (true, true) => (Lerp(ir[left], ir[right], x - left, right - left), Lerp(vr[left], vr[right], x - left, right - left)),
                        (true, false) => (ir[left], vr[left]),
                        (false, true) => (ir[right], vr[right]),
                        _ => (0f, float.PositiveInfinity),   // the whole row is bad: nothing to interpolate from
                    };
                    mr[x] |= intrp;
                    replaced++;
                }
                if (xx < w) xx = NextNonZero(mr, xx);
            }
        }
        return replaced;
    }

    /// <summary>Index of the first non-zero mask pixel at or after <paramref name="from"/>, or the row length.</summary>
    private static int NextNonZero(Span<int> row, int from)
    {
        if (from >= row.Length) return row.Length;
        int i = row[from..].IndexOfAnyExcept(0);
        return i < 0 ? row.Length : from + i;
    }

    private static float Lerp(float a, float b, int t, int n) => a + (b - a) * t / n;
}
