using System.Buffers;
using ImageCore.Memory;
using ImageCore.Simd;
using ImageCore.Simd.Ops;

namespace ImageCore.Characterize;

/// <summary>
/// One L.A.Cosmic detection pass over a tile (<see cref="CosmicRays"/>): the tile's core plus a
/// <see cref="CosmicRays.Halo"/>-pixel border is copied (edge pixels repeated beyond the image), every filter runs on
/// the rows it needs, and the core's new detections are appended. Scratch buffers are rented once per tile object
/// (one per worker) and reused for every tile.
/// </summary>
internal sealed class CosmicRayTile : IDisposable
{
    private const int H = CosmicRays.Halo;
    private const int Buffers = 9;
    private float[] _buffer = [];

    /// <summary>Detects in core columns [<paramref name="x0"/>, x0 + cw) and rows [<paramref name="y0"/>, y0 + ch)
    /// and appends the pixels that pass and are not yet flagged (as y * width + x) to <paramref name="found"/>.</summary>
    public void Run(CosmicRayWork work, int x0, int y0, int cw, int ch, List<long> found)
    {
        int we = cw + 2 * H, he = ch + 2 * H, size = we * he;
        if (_buffer.Length < Buffers * size)
        {
            if (_buffer.Length > 0) ArrayPool<float>.Shared.Return(_buffer);
            _buffer = ArrayPool<float>.Shared.Rent(Buffers * size);
        }
        var all = _buffer.AsSpan();
        Span<float> cl = all.Slice(0, size), nz = all.Slice(size, size), s = all.Slice(2 * size, size), t = all.Slice(3 * size, size),
            sp = all.Slice(4 * size, size), m5 = all.Slice(5 * size, size), m9 = all.Slice(6 * size, size),
            cd = all.Slice(7 * size, size), g1 = all.Slice(8 * size, size);
        var p = work.Parameters;
        int w = work.Width, ex = x0 - H, ey = y0 - H;

        Fill(work.Clean, cl, ex, ey, we, 0, he);
        Fill(work.Noise, nz, ex, ey, we, 3, he - 3);

        // s on the core +- 5, then s' = s - 7 x 7 separable median of s on the core +- 2.
        for (int ly = 3; ly < he - 3; ly++)
            CosmicRayKernels.Laplacian(cl.Slice((ly - 1) * we + 3, we - 6), cl.Slice(ly * we + 2, we - 4), cl.Slice((ly + 1) * we + 3, we - 6),
                nz.Slice(ly * we + 3, we - 6), s.Slice(ly * we + 3, we - 6));
        for (int ly = 3; ly < he - 3; ly++)
            CosmicRayKernels.RowMedian(s.Slice(ly * we + 3, we - 6), 7, t.Slice(ly * we + 6, we - 12));
        bool any = false;
        for (int ly = 6; ly < he - 6; ly++)
        {
            var row = sp.Slice(ly * we + 6, we - 12);
            CosmicRayKernels.ColumnMedian(t.Slice((ly - 3) * we + 6), we, 7, row);
            PixelDriver.Run<ScaledSubtract>(s.Slice(ly * we + 6, we - 12), row, 1f, row);
            any |= Block(work, row, ey + ly, ex + 6);
        }
        if (!any) return;

        // Fine structure: m5 = 5 x 5 separable median of the image on the core +- 6, m9 = 9 x 9 of m5 on the core +- 2.
        for (int ly = 0; ly < he; ly++)
            CosmicRayKernels.RowMedian(cl.Slice(ly * we, we), 5, t.Slice(ly * we + 2, we - 4));
        for (int ly = 2; ly < he - 2; ly++)
            CosmicRayKernels.ColumnMedian(t.Slice((ly - 2) * we + 2), we, 5, m5.Slice(ly * we + 2, we - 4));
        for (int ly = 2; ly < he - 2; ly++)
            CosmicRayKernels.RowMedian(m5.Slice(ly * we + 2, we - 4), 9, t.Slice(ly * we + 6, we - 12));
        for (int ly = 6; ly < he - 6; ly++)
            CosmicRayKernels.ColumnMedian(t.Slice((ly - 4) * we + 6), we, 9, m9.Slice(ly * we + 6, we - 12));
        for (int ly = 6; ly < he - 6; ly++)
        {
            int o = ly * we + 6, n = we - 12;
            var row = cd.Slice(o, n);
            CosmicRayKernels.Candidates(cl.Slice(o, n), sp.Slice(o, n), m5.Slice(o, n), m9.Slice(o, n), nz.Slice(o, n), p.SigmaClip, p.ObjectLimit, p.SeedSigma, row);
            if (p.PsfSide == 0f) continue;
            for (int i = row.IndexOf(1f); i >= 0;)
            {
                int k = o + i;
                if (!CosmicRays.SharperThanPsf(p, cl[k], m9[k], nz[k], (cl[k - 1] + cl[k + 1]) * 0.5f, (cl[k - we] + cl[k + we]) * 0.5f,
                        (cl[k - we - 1] + cl[k + we + 1]) * 0.5f, (cl[k - we + 1] + cl[k + we - 1]) * 0.5f))
                    row[i] = 0f;
                int next = row[(i + 1)..].IndexOf(1f);
                i = next < 0 ? -1 : i + 1 + next;
            }
        }

        // Grow: 3 x 3 dilation kept where s' > sigclip (core +- 1), again where s' > sigfrac * sigclip (core).
        for (int ly = 6; ly < he - 6; ly++)
            CosmicRayKernels.RowMax3(cd.Slice(ly * we + 6, we - 12), t.Slice(ly * we + 7, we - 14));
        for (int ly = 7; ly < he - 7; ly++)
            CosmicRayKernels.ColumnMax3Gate(t.Slice((ly - 1) * we + 7, we - 14), t.Slice(ly * we + 7, we - 14), t.Slice((ly + 1) * we + 7, we - 14),
                sp.Slice(ly * we + 7, we - 14), p.SigmaClip, g1.Slice(ly * we + 7, we - 14));
        for (int ly = 7; ly < he - 7; ly++)
            CosmicRayKernels.RowMax3(g1.Slice(ly * we + 7, we - 14), t.Slice(ly * we + 8, cw));
        for (int ly = H; ly < he - H; ly++)
        {
            var row = cd.Slice(ly * we + H, cw);
            CosmicRayKernels.ColumnMax3Gate(t.Slice((ly - 1) * we + H, cw), t.Slice(ly * we + H, cw), t.Slice((ly + 1) * we + H, cw),
                sp.Slice(ly * we + H, cw), p.GrowLimit, row);
            int y = ey + ly;
            var flagged = work.Flagged.GetRowSpan(y);
            int i = row.IndexOf(1f);
            while (i >= 0)
            {
                int x = x0 + i;
                if (flagged[x] == 0) found.Add((long)y * w + x);
                int next = row[(i + 1)..].IndexOf(1f);
                i = next < 0 ? -1 : i + 1 + next;
            }
        }
    }

    /// <summary>Copies rows [<paramref name="ly0"/>, <paramref name="ly1"/>) of the extended tile whose pixel (0, 0)
    /// is at (<paramref name="ex"/>, <paramref name="ey"/>) from <paramref name="plane"/>, repeating edge pixels
    /// beyond the image.</summary>
    private static void Fill(Plane<float> plane, Span<float> dst, int ex, int ey, int we, int ly0, int ly1)
    {
        int w = plane.Width, h = plane.Height;
        int a = Math.Max(0, ex), b = Math.Min(w, ex + we);   // columns inside the image
        for (int ly = ly0; ly < ly1; ly++)
        {
            var src = plane.GetRowSpan(Math.Clamp(ey + ly, 0, h - 1));
            var row = dst.Slice(ly * we, we);
            src[a..b].CopyTo(row[(a - ex)..]);
            if (a > ex) row[..(a - ex)].Fill(src[0]);
            if (b < ex + we) row[(b - ex)..].Fill(src[w - 1]);
        }
    }

    /// <summary>Sets s' to -infinity where a pixel of image row <paramref name="y"/> starting at column
    /// <paramref name="x0"/> may not be flagged (outside the image, bad or near bad); returns whether any pixel
    /// left exceeds the detection limit.</summary>
    private static bool Block(CosmicRayWork work, Span<float> row, int y, int x0)
    {
        int w = work.Width, n = row.Length;
        if (y < 0 || y >= work.Height)
        {
            row.Fill(float.NegativeInfinity);
            return false;
        }
        int a = Math.Max(0, x0), b = Math.Min(w, x0 + n);
        if (a > x0) row[..(a - x0)].Fill(float.NegativeInfinity);
        if (b < x0 + n) row[(b - x0)..].Fill(float.NegativeInfinity);
        var flags = work.Flags.GetRowSpan(y)[a..b];
        int i = flags.IndexOfAnyExcept((byte)0);
        while (i >= 0)
        {
            row[a - x0 + i] = float.NegativeInfinity;
            int next = flags[(i + 1)..].IndexOfAnyExcept((byte)0);
            i = next < 0 ? -1 : i + 1 + next;
        }
        float clip = work.Parameters.SigmaClip;
        foreach (float v in row)
            if (v > clip) return true;
        return false;
    }

    /// <summary>Returns the scratch buffer.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<float>.Shared.Return(_buffer);
        _buffer = [];
    }
}
