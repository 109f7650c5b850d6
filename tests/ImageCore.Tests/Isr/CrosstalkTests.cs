using ImageCore.Camera;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Tests.Isr;

public class CrosstalkTests
{
    [Theory]
    [InlineData("R22_S11")]   // e2v: bottom row unflipped, top row flipped in x and y
    [InlineData("R01_S00")]   // ITL: every segment flipped in x
    public void Subtraction_removes_ghosts_placed_at_the_same_readout_position(string name)
    {
        var det = CameraModel.LsstCam.Scaled(8)[name];
        var layout = det.Layout;
        int Col(Amplifier a, int fx) => a.RawXYOffset.X + (a.FlipX ? layout.RawWidth - 1 - fx : fx);
        int Row(Amplifier a, int fy) => a.RawXYOffset.Y + (a.FlipY ? layout.RawHeight - 1 - fy : fy);
        var rng = new Random(4);
        using var clean = new Image<float>(det.RawBBox);
        for (int y = 0; y < clean.Height; y++) for (int x = 0; x < clean.Width; x++) clean[x, y] = (float)(rng.NextDouble() * 50000);
        var c = new double[16, 16];
        c[0, 1] = 3e-4;    // C10 -> C11 (same row)
        c[8, 15] = 1e-3;   // C07 -> C00 (bottom row, far apart)
        c[3, 12] = -2e-4;  // C13 -> C04 (across rows)
        using var withGhosts = clean.Clone();
        for (int s = 0; s < 16; s++)
            for (int t = 0; t < 16; t++)
            {
                if (c[s, t] == 0) continue;
                var (a, b) = (det.Amplifiers[s], det.Amplifiers[t]);
                for (int fy = 0; fy < layout.RawHeight; fy++)
                    for (int fx = 0; fx < layout.RawWidth; fx++)
                        withGhosts[Col(b, fx), Row(b, fy)] += (float)(c[s, t] * clean[Col(a, fx), Row(a, fy)]);
            }
        Crosstalk.Subtract(withGhosts, det, c);
        double worst = 0;
        for (int y = 0; y < clean.Height; y++) for (int x = 0; x < clean.Width; x++) worst = Math.Max(worst, Math.Abs(withGhosts[x, y] - clean[x, y]));
        Assert.True(worst < 0.01, $"largest residual {worst} ADU");   // float rounding only (first order, sources unaffected)
        Assert.Throws<ArgumentException>(() => Crosstalk.Subtract(withGhosts, det, new double[4, 4]));
    }
}
