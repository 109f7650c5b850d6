using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Tests.Characterize;

/// <summary>Synthetic masked images for the background and detection tests: a sky, Gaussian noise of a known
/// variance, Gaussian sources of known flux.</summary>
internal static class Synthetic
{
    /// <summary>A standard normal deviate (Box-Muller).</summary>
    public static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>An image of <paramref name="sky"/>(x, y) plus noise of standard deviation <paramref name="noise"/>,
    /// variance plane noise², mask clear.</summary>
    public static MaskedImage Image(int width, int height, Func<int, int, double> sky, double noise, int seed, Point2I xy0 = default)
    {
        var rng = new Random(seed);
        var mi = new MaskedImage(width, height, xy0);
        var img = mi.Image.Plane;
        var var = mi.Variance.Plane;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                img[x, y] = (float)(sky(x, y) + noise * Gauss(rng));
                var[x, y] = (float)(noise * noise);
            }
        return mi;
    }

    /// <summary>Adds a circular Gaussian of total <paramref name="flux"/> at local (<paramref name="cx"/>, <paramref name="cy"/>)
    /// (pixel-centre sampled, within 8 sigma).</summary>
    public static void AddGaussian(MaskedImage mi, double cx, double cy, double sigma, double flux)
    {
        var img = mi.Image.Plane;
        int r = (int)Math.Ceiling(8 * sigma);
        double norm = flux / (2 * Math.PI * sigma * sigma);
        for (int y = Math.Max(0, (int)cy - r); y <= Math.Min(img.Height - 1, (int)cy + r); y++)
            for (int x = Math.Max(0, (int)cx - r); x <= Math.Min(img.Width - 1, (int)cx + r); x++)
                img[x, y] += (float)(norm * Math.Exp(-0.5 * ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (sigma * sigma)));
    }
}
