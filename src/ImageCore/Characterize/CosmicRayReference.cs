using ImageCore.Images;

namespace ImageCore.Characterize;

/// <summary>
/// The naive reference of <see cref="CosmicRays.FindAndRepair"/> for tests and benchmarks: the same definition
/// computed the plain way, on the whole image at once, every filter on every pixel with medians by sorting, every
/// flagged pixel re-cleaned each iteration (astroscrappy's loop), no tiles and no vector code. It returns what
/// FindAndRepair would flag and the working image after the last iteration, without touching the exposure.
/// </summary>
internal static class CosmicRayReference
{
    /// <summary>Margin of the extended arrays (more than the 8 pixels the filters reach).</summary>
    private const int E = 10;

    /// <summary>The flagged pixels ([y, x]), the working image and the iterations run.</summary>
    public static (bool[,] Flagged, float[,] Clean, int Iterations) Find(MaskedImage mi, CosmicRayConfig config)
    {
        config.Validate();
        int w = mi.BBox.Width, h = mi.BBox.Height;
        int badBits = mi.Mask.GetBitMask([.. config.BadMaskPlanes]);
        var img = mi.Image.Pixels;
        var var = mi.Variance.Pixels;
        var msk = mi.Mask.Image.Pixels;
        var own = new bool[h, w];
        var values = new List<float>();
        var variances = new List<float>();
        int rowStep = Math.Max(1, h / 256);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                own[y, x] = (msk[y, x] & badBits) != 0 || !float.IsFinite(img[y, x]) || !float.IsFinite(var[y, x]) || var[y, x] < 0;
                if (!own[y, x] && y % rowStep == 0 && x % 3 == 0)
                {
                    values.Add(img[y, x]);
                    variances.Add(var[y, x]);
                }
            }
        float bkg = values.Count == 0 ? 0f : OrderStatistics.Select(values.ToArray(), values.Count / 2);
        float bvar = variances.Count == 0 ? 0f : OrderStatistics.Select(variances.ToArray(), variances.Count / 2);
        var blocked = new bool[h, w];
        int satBits = mi.Mask.Planes.TryGetValue("SAT", out int satBit) ? 1 << satBit : 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int yy = Math.Max(0, y - 8); yy <= Math.Min(h - 1, y + 8); yy++)
                    for (int xx = Math.Max(0, x - 8); xx <= Math.Min(w - 1, x + 8); xx++)
                    {
                        int d = Math.Max(Math.Abs(yy - y), Math.Abs(xx - x));
                        if ((own[yy, xx] && d <= config.GrowBadMask) || ((msk[yy, xx] & satBits) != 0 && d <= config.GrowSaturated))
                            blocked[y, x] = true;
                    }

        var clean = new float[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) clean[y, x] = float.IsFinite(img[y, x]) ? img[y, x] : bkg;

        // Noise: sqrt(max(7 x 7 separable median of the usable variance, 1e-5)), edges repeated.
        var varCopy = new float[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) varCopy[y, x] = var[y, x];
        float V(int x, int y)
        {
            float s = varCopy[Math.Clamp(y, 0, h - 1), Math.Clamp(x, 0, w - 1)];
            return float.IsFinite(s) && s >= 0 ? s : bvar;
        }
        var noise = new float[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var col = new float[7];
                for (int j = -3; j <= 3; j++)
                {
                    var row = new float[7];
                    for (int i = -3; i <= 3; i++) row[i + 3] = V(x + i, Math.Clamp(y + j, 0, h - 1));
                    col[j + 3] = Median(row);
                }
                noise[y, x] = MathF.Sqrt(MathF.Max(Median(col), 1e-5f));
            }

        float sigclip = (float)config.SigmaClip, grow = (float)(config.SigmaFraction * config.SigmaClip), objlim = (float)config.ObjectLimit;
        float seed = config.MinSeedSignificance > 0 ? (float)config.MinSeedSignificance : float.NegativeInfinity;
        var p = new CosmicRays.Parameters(sigclip, grow, objlim, seed, CosmicRays.PsfThreshold(config.PsfFwhm, 1), CosmicRays.PsfThreshold(config.PsfFwhm, 2),
            config.MaxIterations, config.MaxPixels, config.GrowBadMask, config.GrowSaturated, 1);
        var flagged = new bool[h, w];
        int iteration = 0;
        long count = 0;
        while (iteration < config.MaxIterations)
        {
            iteration++;
            // Extended arrays: index [y + E, x + E].
            int h2 = h + 2 * E, w2 = w + 2 * E;
            float Cl(int x, int y) => clean[Math.Clamp(y, 0, h - 1), Math.Clamp(x, 0, w - 1)];
            float Nz(int x, int y) => noise[Math.Clamp(y, 0, h - 1), Math.Clamp(x, 0, w - 1)];
            var s = new float[h2, w2];
            for (int y = -6; y < h + 6; y++)
                for (int x = -6; x < w + 6; x++)
                {
                    float c = Cl(x, y), c2 = c + c, l = Cl(x - 1, y), r = Cl(x + 1, y), u = Cl(x, y - 1), d = Cl(x, y + 1);
                    float sum = MathF.Max(0f, c2 - l - u) + MathF.Max(0f, c2 - r - u) + MathF.Max(0f, c2 - l - d) + MathF.Max(0f, c2 - r - d);
                    s[y + E, x + E] = sum * 0.125f / Nz(x, y);
                }
            var sp = new float[h2, w2];
            for (int y = -2; y < h + 2; y++)
                for (int x = -2; x < w + 2; x++)
                {
                    var col = new float[7];
                    for (int j = -3; j <= 3; j++)
                    {
                        var row = new float[7];
                        for (int i = -3; i <= 3; i++) row[i + 3] = s[y + j + E, x + i + E];
                        col[j + 3] = Median(row);
                    }
                    bool usable = x >= 0 && y >= 0 && x < w && y < h && !blocked[y, x];
                    sp[y + E, x + E] = usable ? s[y + E, x + E] - 1f * Median(col) : float.NegativeInfinity;
                }
            var m5 = new float[h2, w2];
            for (int y = -6; y < h + 6; y++)
                for (int x = -6; x < w + 6; x++)
                {
                    var col = new float[5];
                    for (int j = -2; j <= 2; j++)
                    {
                        var row = new float[5];
                        for (int i = -2; i <= 2; i++) row[i + 2] = Cl(x + i, y + j);
                        col[j + 2] = Median(row);
                    }
                    m5[y + E, x + E] = Median(col);
                }
            var cand = new bool[h2, w2];
            for (int y = -2; y < h + 2; y++)
                for (int x = -2; x < w + 2; x++)
                {
                    var col = new float[9];
                    for (int j = -4; j <= 4; j++)
                    {
                        var row = new float[9];
                        for (int i = -4; i <= 4; i++) row[i + 4] = m5[y + j + E, x + i + E];
                        col[j + 4] = Median(row);
                    }
                    float m = m5[y + E, x + E], n = Nz(x, y), v = sp[y + E, x + E];
                    float f = MathF.Max((m - Median(col)) / n, 0.01f);
                    float b = Median(col);
                    cand[y + E, x + E] = v > sigclip && v > objlim * f && Cl(x, y) - m > seed * n
                        && CosmicRays.SharperThanPsf(p, Cl(x, y), b, n, (Cl(x - 1, y) + Cl(x + 1, y)) * 0.5f, (Cl(x, y - 1) + Cl(x, y + 1)) * 0.5f,
                            (Cl(x - 1, y - 1) + Cl(x + 1, y + 1)) * 0.5f, (Cl(x + 1, y - 1) + Cl(x - 1, y + 1)) * 0.5f);
                }
            var g1 = Grow(cand, sp, sigclip, -1, h + 1, -1, w + 1);
            var g2 = Grow(g1, sp, grow, 0, h, 0, w);
            long added = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (g2[y + E, x + E] && !flagged[y, x])
                    {
                        flagged[y, x] = true;
                        added++;
                    }
            if (added == 0) break;
            count += added;
            if (count > config.MaxPixels) throw new TooManyCosmicRaysException(count, config.MaxPixels, iteration);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    if (!flagged[y, x]) continue;
                    float sum = 0f;
                    int k = 0;
                    for (int yy = Math.Max(0, y - 2); yy <= Math.Min(h - 1, y + 2); yy++)
                        for (int xx = Math.Max(0, x - 2); xx <= Math.Min(w - 1, x + 2); xx++)
                            if (!flagged[yy, xx] && !own[yy, xx])
                            {
                                sum += clean[yy, xx];
                                k++;
                            }
                    clean[y, x] = k > 0 ? sum / k : bkg;
                }
        }
        return (flagged, clean, iteration);
    }

    /// <summary>3 x 3 dilation of <paramref name="m"/> kept where sp &gt; threshold, over rows [y0, y1) and columns
    /// [x0, x1) (unextended coordinates).</summary>
    private static bool[,] Grow(bool[,] m, float[,] sp, float threshold, int y0, int y1, int x0, int x1)
    {
        var o = new bool[m.GetLength(0), m.GetLength(1)];
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                bool any = false;
                for (int j = -1; j <= 1; j++)
                    for (int i = -1; i <= 1; i++) any |= m[y + j + E, x + i + E];
                o[y + E, x + E] = any && sp[y + E, x + E] > threshold;
            }
        return o;
    }

    private static float Median(float[] v)
    {
        Array.Sort(v);
        return v[v.Length / 2];
    }
}
