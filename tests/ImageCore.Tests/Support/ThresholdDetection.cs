using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Tests.Support;

/// <summary>
/// A plain detection for the PSF tests, standing in for the characterize step's own: the median is subtracted as a
/// constant background (the simulator's sky is flat after ISR), the image smoothed with a Gaussian of sigma 1.5 pixels, and 8-connected
/// pixels above <c>threshold</c> times the smoothed noise make footprints whose peaks are the smoothed image's local
/// maxima above the threshold.
/// </summary>
internal static class ThresholdDetection
{
    /// <summary>Subtracts the median of <paramref name="exposure"/>'s image in place and returns its footprints.</summary>
    public static List<Footprint> SubtractBackgroundAndDetect(Exposure exposure, double threshold = 5)
    {
        var pixels = exposure.Image.Pixels;
        int w = pixels.Width, h = pixels.Height;
        var sample = new List<float>();
        for (int y = 0; y < h; y += 7)
            for (int x = 0; x < w; x += 7)
                if (float.IsFinite(pixels[y, x])) sample.Add(pixels[y, x]);
        sample.Sort();
        float background = sample[sample.Count / 2];
        for (int y = 0; y < h; y++)
        {
            var row = pixels.GetRowSpan(y);
            for (int x = 0; x < w; x++) row[x] -= background;
        }
        var variance = exposure.Variance.Pixels;
        var vs = new List<float>();
        for (int y = 0; y < h; y += 7)
            for (int x = 0; x < w; x += 7) vs.Add(variance[y, x]);
        vs.Sort();
        // Smoothed with a Gaussian of sigma 1.5 pixels (separable, radius 4), as detection smooths with the PSF.
        const int r = 4;
        var k = new double[2 * r + 1];
        for (int i = -r; i <= r; i++) k[i + r] = Math.Exp(-i * i / (2 * 1.5 * 1.5));
        double ks = k.Sum();
        for (int i = 0; i < k.Length; i++) k[i] /= ks;
        double k2 = k.Sum(v => v * v);
        double level = threshold * Math.Sqrt(vs[vs.Count / 2] * k2 * k2);
        var across = new float[h, w];
        for (int y = 0; y < h; y++)
            for (int x = r; x < w - r; x++)
            {
                double s = 0;
                for (int i = -r; i <= r; i++) s += k[i + r] * pixels[y, x + i];
                across[y, x] = (float)s;
            }
        var smooth = new float[h, w];
        for (int y = r; y < h - r; y++)
            for (int x = 0; x < w; x++)
            {
                double s = 0;
                for (int i = -r; i <= r; i++) s += k[i + r] * across[y + i, x];
                smooth[y, x] = (float)s;
            }
        var label = new int[h, w];
        var footprints = new List<Footprint>();
        var stack = new Stack<(int X, int Y)>();
        int x0 = exposure.BBox.MinX, y0 = exposure.BBox.MinY;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (label[y, x] != 0 || !(smooth[y, x] > level)) continue;
                int id = footprints.Count + 1;
                var pixelsIn = new List<(int X, int Y)>();
                stack.Push((x, y));
                label[y, x] = id;
                while (stack.Count > 0)
                {
                    var (px, py) = stack.Pop();
                    pixelsIn.Add((px, py));
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int nx = px + dx, ny = py + dy;
                            if (nx < 0 || ny < 0 || nx >= w || ny >= h || label[ny, nx] != 0 || !(smooth[ny, nx] > level)) continue;
                            label[ny, nx] = id;
                            stack.Push((nx, ny));
                        }
                }
                var spans = pixelsIn.GroupBy(p => p.Y).SelectMany(g =>
                {
                    var xs = g.Select(p => p.X).Order().ToList();
                    var runs = new List<FootprintSpan>();
                    int start = xs[0], prev = xs[0];
                    foreach (int v in xs.Skip(1))
                    {
                        if (v == prev + 1) { prev = v; continue; }
                        runs.Add(new FootprintSpan(g.Key + y0, start + x0, prev + x0));
                        start = prev = v;
                    }
                    runs.Add(new FootprintSpan(g.Key + y0, start + x0, prev + x0));
                    return runs;
                });
                var peaks = new List<FootprintPeak>();
                foreach (var (px, py) in pixelsIn)
                {
                    float v = smooth[py, px];
                    bool max = true;
                    for (int dy = -1; dy <= 1 && max; dy++)
                        for (int dx = -1; dx <= 1 && max; dx++)
                        {
                            int nx = px + dx, ny = py + dy;
                            if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < w && ny < h && smooth[ny, nx] >= v && (smooth[ny, nx] > v || dy < 0 || (dy == 0 && dx < 0)))
                                max = false;
                        }
                    if (max) peaks.Add(new FootprintPeak(px + x0, py + y0, pixels[py, px], (float)(v / level * threshold)));
                }
                footprints.Add(new Footprint(spans, peaks));
            }
        return footprints;
    }
}
