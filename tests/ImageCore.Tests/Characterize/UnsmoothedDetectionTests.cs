using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Tests.Characterize;

/// <summary><see cref="DetectionConfig.Smooth"/> off (CompareWarp's detection on warp differences): the detected
/// pixels are exactly those whose own value / sqrt(variance) reaches the threshold, found by a plain loop here.</summary>
public class UnsmoothedDetectionTests
{
    [Theory]
    [InlineData(3, 2.5, 1)]
    [InlineData(4, 3.0, 4)]
    public void Unsmoothed_detection_thresholds_each_pixel_alone(int seed, double threshold, int minPixels)
    {
        using var mi = Synthetic.Image(97, 61, (_, _) => 0, 1, seed);
        var rng = new Random(seed);
        for (int y = 0; y < 61; y++)
            for (int x = 0; x < 97; x++)
                mi.Variance.Pixels[y, x] = (float)(0.5 + rng.NextDouble());   // per-pixel variance: the test must use it
        (mi.Image.Pixels[0, 0], mi.Image.Pixels[0, 1], mi.Image.Pixels[1, 0], mi.Image.Pixels[1, 1]) = (50, 50, 50, 50);   // in the corner: no EDGE margin without smoothing
        var config = new DetectionConfig { Threshold = threshold, MinPixels = minPixels, GrowSigmas = 0, IncludeNegative = true, Smooth = false };
        var result = SourceDetection.Detect(mi, 2.0, config);
        Assert.Equal(0, result.KernelHalfWidth);
        int positive = mi.Mask.GetBitMask("DETECTED"), negative = mi.Mask.GetBitMask("DETECTED_NEGATIVE");
        // Connected runs of pixels over the threshold, by an independent flood fill (8-connected), with minPixels.
        var expectedPositive = Components(mi, z => z >= threshold, minPixels);
        var expectedNegative = Components(mi, z => z <= -threshold, minPixels);
        Assert.Equal(expectedPositive.Count, result.Footprints.Count);
        Assert.Equal(expectedNegative.Count, result.NegativeFootprints.Count);
        Assert.Equal(expectedPositive.Sum(c => c.Count), result.DetectedPixels);
        foreach (var c in expectedPositive)
            foreach (var (x, y) in c) Assert.True((mi.Mask.Image.Pixels[y, x] & positive) != 0, $"({x}, {y}) DETECTED");
        foreach (var c in expectedNegative)
            foreach (var (x, y) in c) Assert.True((mi.Mask.Image.Pixels[y, x] & negative) != 0, $"({x}, {y}) DETECTED_NEGATIVE");
        Assert.Contains(result.Footprints, f => f.Contains(0, 0));
        Assert.Equal(0, mi.Mask.Count("EDGE"));
    }

    private static List<List<(int X, int Y)>> Components(MaskedImage mi, Func<double, bool> over, int minPixels)
    {
        int w = mi.BBox.Width, h = mi.BBox.Height;
        var seen = new bool[h, w];
        var result = new List<List<(int, int)>>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (seen[y, x] || !over(mi.Image.Pixels[y, x] / Math.Sqrt(mi.Variance.Pixels[y, x]))) continue;
                var component = new List<(int, int)>();
                var stack = new Stack<(int, int)>([(x, y)]);
                seen[y, x] = true;
                while (stack.Count > 0)
                {
                    var (cx, cy) = stack.Pop();
                    component.Add((cx, cy));
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int nx = cx + dx, ny = cy + dy;
                            if (nx < 0 || ny < 0 || nx >= w || ny >= h || seen[ny, nx]) continue;
                            if (!over(mi.Image.Pixels[ny, nx] / Math.Sqrt(mi.Variance.Pixels[ny, nx]))) continue;
                            seen[ny, nx] = true;
                            stack.Push((nx, ny));
                        }
                }
                if (component.Count >= minPixels) result.Add(component);
            }
        return result;
    }
}
