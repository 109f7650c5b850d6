using CommunityToolkit.HighPerformance;

namespace ImageCore.Simulation;

/// <summary>
/// Effects the simulator adds to the charge image (electrons, trimmed detector frame, rows = the
/// parallel direction) that ISR does not remove: bleed trails from saturated stars and cosmic rays.
/// </summary>
internal static class ChargeEffects
{
    /// <summary>Spills the charge above <paramref name="fullWell"/> (e-) along each column, half up and
    /// half down, pixel by pixel until it fits (charge reaching the image edge is lost); returns the number
    /// of pixels that received spilled charge.</summary>
    public static long Bleed(float[,] electrons, double fullWell)
    {
        var map = new float[electrons.GetLength(0), electrons.GetLength(1)];
        foreach (ref float f in map.AsSpan()) f = (float)fullWell;
        return Bleed(electrons, map);
    }

    /// <summary>As <see cref="Bleed(float[,], double)"/> with a full well per pixel (each amplifier's own).</summary>
    public static long Bleed(float[,] electrons, float[,] fullWell)
    {
        int h = electrons.GetLength(0), w = electrons.GetLength(1);
        long touched = 0;
        for (int x = 0; x < w; x++)
            for (int y = 0; y < h; y++)
            {
                double excess = electrons[y, x] - fullWell[y, x];
                if (excess <= 0) continue;
                electrons[y, x] = fullWell[y, x];
                double up = excess / 2, down = excess / 2;
                for (int k = y + 1; k < h && up > 0; k++) touched += Spill(electrons, k, x, fullWell, ref up);
                for (int k = y - 1; k >= 0 && down > 0; k--) touched += Spill(electrons, k, x, fullWell, ref down);
            }
        return touched;
    }

    private static int Spill(float[,] e, int y, int x, float[,] fullWell, ref double charge)
    {
        double room = fullWell[y, x] - e[y, x];
        if (room <= 0) return 0;
        double put = Math.Min(room, charge);
        e[y, x] += (float)put;
        charge -= put;
        return 1;
    }

    /// <summary>Adds <paramref name="count"/> cosmic-ray tracks: short straight segments of 1-8 pixels with
    /// 500-20,000 e- each, marking every hit pixel in <paramref name="hits"/>.</summary>
    public static void CosmicRays(float[,] electrons, bool[,] hits, int count, Noise noise)
    {
        int h = electrons.GetLength(0), w = electrons.GetLength(1);
        for (int i = 0; i < count; i++)
        {
            double x = noise.Uniform() * w, y = noise.Uniform() * h, angle = noise.Uniform() * 2 * Math.PI;
            int length = 1 + (int)(noise.Uniform() * 8);
            double deposit = 500 + noise.Uniform() * 19500;
            for (int s = 0; s < length; s++)
            {
                int px = (int)(x + s * Math.Cos(angle)), py = (int)(y + s * Math.Sin(angle));
                if (px < 0 || py < 0 || px >= w || py >= h) break;
                electrons[py, px] += (float)deposit;
                hits[py, px] = true;
            }
        }
    }
}
