using ImageCore.Images;

namespace ImageCore.Isr;

/// <summary>
/// ISR step 22: grow SAT by one pixel (4-connected), then replace every pixel with any of the given mask
/// bits by a linear interpolation along its row between the nearest good pixels on each side (one side
/// at an image edge; the mean of the row's good pixels when the whole row is bad), variance likewise,
/// and set INTRP. This follows meas_algorithms' row-wise legacy interpolation in spirit; its fallback
/// clipped mean and its special handling of wide defects are not reproduced.
/// </summary>
public static class Interpolation
{
    /// <summary>Interpolates over pixels with any bit of <paramref name="badBits"/>; returns how many were replaced.</summary>
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
                for (int x = 0; x < w; x++)
                    if ((m[y, x] & sat) == 0 && ((x > 0 && (m[y, x - 1] & sat) != 0) || (x < w - 1 && (m[y, x + 1] & sat) != 0)
                                                 || (y > 0 && (m[y - 1, x] & sat) != 0) || (y < h - 1 && (m[y + 1, x] & sat) != 0)))
                        grow.Add((x, y));
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
            double goodSum = 0, goodVar = 0;
            int good = 0;
            for (int x = 0; x < w; x++)
                if ((mr[x] & badBits) == 0) { goodSum += ir[x]; goodVar += vr[x]; good++; }
            int xx = 0;
            while (xx < w)
            {
                if ((mr[xx] & badBits) == 0) { xx++; continue; }
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
                        _ => good > 0 ? ((float)(goodSum / good), (float)(goodVar / good)) : (0f, float.PositiveInfinity),
                    };
                    mr[x] |= intrp;
                    replaced++;
                }
            }
        }
        return replaced;
    }

    private static float Lerp(float a, float b, int t, int n) => a + (b - a) * t / n;
}
