using System.Runtime.InteropServices;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Characterize;

/// <summary>
/// The working state of one <see cref="CosmicRays.FindAndRepair"/> call: the working image (hits replaced so far),
/// the noise map, the usability flags and the flagged pixels, all full-frame planes in local pixel coordinates;
/// the iterations over tiles (<see cref="CosmicRayTile"/>) and the final write into the exposure.
/// </summary>
internal sealed unsafe class CosmicRayWork : IDisposable
{
    /// <summary>Flag bit: the pixel is bad (a bad mask plane, or a non-finite value or variance, or a negative
    /// variance): never a candidate, never a replacement source.</summary>
    internal const byte OwnBad = 1;

    /// <summary>Flag bit: within <see cref="CosmicRays.Parameters.GrowBadMask"/> of a bad pixel: never a candidate.</summary>
    internal const byte NearBad = 2;

    /// <summary>Flag bit: SAT (the source of the wider growth <see cref="CosmicRays.Parameters.GrowSaturated"/>).</summary>
    internal const byte Saturated = 4;

    private readonly List<long> _pixels = [];

    private CosmicRayWork(int width, int height, CosmicRays.Parameters p)
    {
        Width = width;
        Height = height;
        Parameters = p;
        Clean = new Plane<float>(width, height, clear: false);
        Noise = new Plane<float>(width, height, clear: false);
        Flags = new Plane<byte>(width, height, clear: true);
        Flagged = new Plane<byte>(width, height, clear: true);
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>The parameters.</summary>
    public CosmicRays.Parameters Parameters { get; }

    /// <summary>The working image: the exposure with non-finite pixels set to <see cref="Background"/> and the hits
    /// found so far replaced.</summary>
    public Plane<float> Clean { get; }

    /// <summary>sqrt(max(7 x 7 separable median of the variance, 1e-5)).</summary>
    public Plane<float> Noise { get; }

    /// <summary><see cref="OwnBad"/> and <see cref="NearBad"/> per pixel.</summary>
    public Plane<byte> Flags { get; }

    /// <summary>1 where a pixel has been flagged.</summary>
    public Plane<byte> Flagged { get; }

    /// <summary>Median of the usable pixels' values.</summary>
    public float Background { get; private set; }

    /// <summary>Median of the usable pixels' variances.</summary>
    public float BackgroundVariance { get; private set; }

    /// <summary>Copies the exposure into a new working state: flags, working image and noise map.</summary>
    public static CosmicRayWork Create(MaskedImage image, int badBits, int satBits, CosmicRays.Parameters p, CancellationToken cancel)
    {
        var work = new CosmicRayWork(image.BBox.Width, image.BBox.Height, p);
        try
        {
            work.Prepare(image, badBits, satBits, cancel);
            return work;
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }

    private void Prepare(MaskedImage mi, int badBits, int satBits, CancellationToken cancel)
    {
        int w = Width, h = Height;
        var img = mi.Image.Pixels;
        var var = mi.Variance.Pixels;
        var msk = mi.Mask.Image.Pixels;
        // Own-bad flags and the sample for the medians.
        int rowStep = Math.Max(1, h / 256), colStep = 3;
        int capacity = (h / rowStep + 1) * (w / colStep + 1);
        var values = new List<float>(capacity);
        var variances = new List<float>(capacity);
        for (int y = 0; y < h; y++)
        {
            var ir = img.GetRowSpan(y);
            var vr = var.GetRowSpan(y);
            var mr = msk.GetRowSpan(y);
            var fr = Flags.GetRowSpan(y);
            bool sample = y % rowStep == 0;
            for (int x = 0; x < w; x++)
            {
                float v = ir[x], s = vr[x];
                bool bad = (mr[x] & badBits) != 0 || !float.IsFinite(v) || !float.IsFinite(s) || s < 0;
                if ((mr[x] & satBits) != 0) fr[x] |= Saturated;
                if (bad) fr[x] |= OwnBad;
                else if (sample && x % colStep == 0)
                {
                    values.Add(v);
                    variances.Add(s);
                }
            }
        }
        Background = Median(values);
        BackgroundVariance = Median(variances);
        cancel.ThrowIfCancellationRequested();
        GrowFlags(OwnBad, Parameters.GrowBadMask);
        GrowFlags(Saturated, Parameters.GrowSaturated);
        // The working image.
        float bkg = Background, bvar = BackgroundVariance;
        for (int y = 0; y < h; y++)
        {
            var ir = img.GetRowSpan(y);
            var cr = Clean.GetRowSpan(y);
            for (int x = 0; x < w; x++) cr[x] = float.IsFinite(ir[x]) ? ir[x] : bkg;
        }
        cancel.ThrowIfCancellationRequested();
        ComputeNoise(var, bvar, cancel);
    }

    private static float Median(List<float> values)
    {
        if (values.Count == 0) return 0f;
        var span = CollectionsMarshal.AsSpan(values);
        return OrderStatistics.Select(span, span.Length / 2);
    }

    /// <summary>Sets <see cref="NearBad"/> on every pixel within <paramref name="p"/> (Chebyshev) of a pixel with
    /// <paramref name="source"/>.</summary>
    private void GrowFlags(byte source, int p)
    {
        if (p == 0) return;
        int w = Width, h = Height;
        // Horizontal then vertical dilation of the own-bad bit into a scratch row band, written as NearBad.
        using var rows = new Plane<byte>(w, h, clear: true);
        for (int y = 0; y < h; y++)
        {
            var fr = Flags.GetRowSpan(y);
            var rr = rows.GetRowSpan(y);
            int x = fr.IndexOfAnyExcept((byte)0);
            while (x >= 0)
            {
                if ((fr[x] & source) != 0)
                {
                    int a = Math.Max(0, x - p), b = Math.Min(w - 1, x + p);
                    rr[a..(b + 1)].Fill(1);
                }
                int next = fr[(x + 1)..].IndexOfAnyExcept((byte)0);
                x = next < 0 ? -1 : x + 1 + next;
            }
        }
        for (int y = 0; y < h; y++)
        {
            var rr = rows.GetRowSpan(y);
            for (int x = rr.IndexOfAnyExcept((byte)0); x >= 0;)
            {
                for (int yy = Math.Max(0, y - p); yy <= Math.Min(h - 1, y + p); yy++) Flags.GetRowSpan(yy)[x] |= NearBad;
                int next = rr[(x + 1)..].IndexOfAnyExcept((byte)0);
                x = next < 0 ? -1 : x + 1 + next;
            }
        }
    }

    /// <summary>Noise = sqrt(max(separable 7 x 7 median of the variance, 1e-5)), the variance's edge pixels repeated beyond
    /// the edges; unusable variances (non-finite, negative) count as <paramref name="fallback"/>.</summary>
    private void ComputeNoise(CommunityToolkit.HighPerformance.Span2D<float> variance, float fallback, CancellationToken cancel)
    {
        int w = Width, h = Height;
        const int half = 3, taps = 2 * half + 1;
        var padded = new float[w + 2 * half];
        var ring = new float[8 * w];            // row medians of 8 consecutive rows, slot = row & 7
        var ringRow = new int[8];
        Array.Fill(ringRow, -1);
        var column = new float[taps * w];
        for (int y = 0; y < h; y++)
        {
            if ((y & 63) == 0) cancel.ThrowIfCancellationRequested();
            for (int j = 0; j < taps; j++)
            {
                int r = Math.Clamp(y - half + j, 0, h - 1), slot = r & 7;
                if (ringRow[slot] != r)
                {
                    var vr = variance.GetRowSpan(r);
                    for (int x = 0; x < w; x++)
                    {
                        float s = vr[x];
                        padded[half + x] = float.IsFinite(s) && s >= 0 ? s : fallback;
                    }
                    for (int k = 0; k < half; k++)
                    {
                        padded[k] = padded[half];
                        padded[half + w + k] = padded[half + w - 1];
                    }
                    CosmicRayKernels.RowMedian(padded, taps, ring.AsSpan(slot * w, w));
                    ringRow[slot] = r;
                }
                ring.AsSpan(slot * w, w).CopyTo(column.AsSpan(j * w, w));
            }
            var nr = Noise.GetRowSpan(y);
            CosmicRayKernels.ColumnMedian(column, w, taps, nr);
            CosmicRayKernels.NoiseFromVariance(nr);
        }
    }

    /// <summary>Runs the iterations; returns the flagged pixels (y * width + x, in the order found) and the iterations run.</summary>
    /// <exception cref="TooManyCosmicRaysException">More than the allowed pixels.</exception>
    public (IReadOnlyList<long> Pixels, int Iterations) Detect(CancellationToken cancel)
    {
        int w = Width, h = Height;
        var tiles = new List<(int X, int Y, int W, int H)>();
        for (int y = 0; y < h; y += CosmicRays.FirstTile)
            for (int x = 0; x < w; x += CosmicRays.FirstTile)
                tiles.Add((x, y, Math.Min(CosmicRays.FirstTile, w - x), Math.Min(CosmicRays.FirstTile, h - y)));
        int gw = (w + CosmicRays.LaterTile - 1) / CosmicRays.LaterTile, gh = (h + CosmicRays.LaterTile - 1) / CosmicRays.LaterTile;
        var dirty = new bool[gw * gh];
        int iteration = 0;
        while (iteration < Parameters.MaxIterations)
        {
            iteration++;
            var found = RunTiles(tiles, cancel);
            if (found.Count == 0) break;
            found.Sort();
            foreach (long q in found) Flagged.GetRowSpan((int)(q / w))[(int)(q % w)] = 1;
            _pixels.AddRange(found);
            if (_pixels.Count > Parameters.MaxPixels) throw new TooManyCosmicRaysException(_pixels.Count, Parameters.MaxPixels, iteration);
            // Re-clean every flagged pixel whose 5 x 5 box holds a new one; their changes reach 8 more pixels.
            Array.Clear(dirty);
            const int reach = 2 + CosmicRays.Halo;
            foreach (long q in found)
            {
                int x = (int)(q % w), y = (int)(q / w);
                for (int yy = Math.Max(0, y - 2); yy <= Math.Min(h - 1, y + 2); yy++)
                {
                    var fl = Flagged.GetRowSpan(yy);
                    var cl = Clean.GetRowSpan(yy);
                    for (int xx = Math.Max(0, x - 2); xx <= Math.Min(w - 1, x + 2); xx++)
                        if (fl[xx] != 0) cl[xx] = CleanValue(xx, yy);
                }
                for (int gy = Math.Max(0, y - reach) / CosmicRays.LaterTile; gy <= Math.Min(h - 1, y + reach) / CosmicRays.LaterTile; gy++)
                    for (int gx = Math.Max(0, x - reach) / CosmicRays.LaterTile; gx <= Math.Min(w - 1, x + reach) / CosmicRays.LaterTile; gx++)
                        dirty[gy * gw + gx] = true;
            }
            tiles.Clear();
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++)
                    if (dirty[gy * gw + gx])
                    {
                        int x0 = gx * CosmicRays.LaterTile, y0 = gy * CosmicRays.LaterTile;
                        tiles.Add((x0, y0, Math.Min(CosmicRays.LaterTile, w - x0), Math.Min(CosmicRays.LaterTile, h - y0)));
                    }
        }
        return (_pixels, iteration);
    }

    /// <summary>The mean of the working image over the pixels of the 5 x 5 box around (x, y) that are neither flagged
    /// nor bad (rows outer, columns inner, summed in float), or <see cref="Background"/> when there is none.</summary>
    internal float CleanValue(int x, int y)
    {
        float sum = 0f;
        int n = 0;
        for (int yy = Math.Max(0, y - 2); yy <= Math.Min(Height - 1, y + 2); yy++)
        {
            var fl = Flagged.GetRowSpan(yy);
            var fb = Flags.GetRowSpan(yy);
            var cl = Clean.GetRowSpan(yy);
            for (int xx = Math.Max(0, x - 2); xx <= Math.Min(Width - 1, x + 2); xx++)
                if (fl[xx] == 0 && (fb[xx] & OwnBad) == 0)
                {
                    sum += cl[xx];
                    n++;
                }
        }
        return n > 0 ? sum / n : Background;
    }

    private List<long> RunTiles(List<(int X, int Y, int W, int H)> tiles, CancellationToken cancel)
    {
        var found = new List<long>();
        if (tiles.Count == 0) return found;
        int threads = Math.Min(Parameters.Threads, tiles.Count);
        if (threads == 1)
        {
            using var tile = new CosmicRayTile();
            foreach (var t in tiles)
            {
                cancel.ThrowIfCancellationRequested();
                tile.Run(this, t.X, t.Y, t.W, t.H, found);
            }
            return found;
        }
        var gate = new object();
        Parallel.For(0, tiles.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancel },
            () => (Tile: new CosmicRayTile(), Found: new List<long>()),
            (i, _, local) =>
            {
                var t = tiles[i];
                local.Tile.Run(this, t.X, t.Y, t.W, t.H, local.Found);
                return local;
            },
            local =>
            {
                local.Tile.Dispose();
                lock (gate) found.AddRange(local.Found);
            });
        return found;
    }

    /// <summary>Writes the result into the exposure: clears CR, sets CR (and INTRP with new values and variances when
    /// <paramref name="replace"/>) on the flagged pixels, counts the 8-connected hits.</summary>
    public CosmicRayResult Apply(MaskedImage mi, IReadOnlyList<long> pixels, int iterations, int crBit, int intrpBit, bool replace)
    {
        int w = Width, h = Height;
        var msk = mi.Mask.Image.Pixels;
        var img = mi.Image.Pixels;
        var var = mi.Variance.Pixels;
        for (int y = 0; y < h; y++)
            foreach (ref int m in msk.GetRowSpan(y)) m &= ~crBit;
        long replaced = 0;
        // Variances first: they read the original variances of the sources, which are never flagged.
        var newVar = new float[pixels.Count];
        if (replace)
            for (int i = 0; i < pixels.Count; i++)
                newVar[i] = VarianceValue(var, (int)(pixels[i] % w), (int)(pixels[i] / w));
        for (int i = 0; i < pixels.Count; i++)
        {
            int x = (int)(pixels[i] % w), y = (int)(pixels[i] / w);
            msk[y, x] |= crBit;
            if (!replace) continue;
            img[y, x] = Clean.GetRowSpan(y)[x];
            var[y, x] = newVar[i];
            msk[y, x] |= intrpBit;
            replaced++;
        }
        return new CosmicRayResult(pixels.Count, CountHits(pixels), iterations, replaced, Background);
    }

    private float VarianceValue(CommunityToolkit.HighPerformance.Span2D<float> variance, int x, int y)
    {
        float sum = 0f;
        int n = 0;
        for (int yy = Math.Max(0, y - 2); yy <= Math.Min(Height - 1, y + 2); yy++)
        {
            var fl = Flagged.GetRowSpan(yy);
            var fb = Flags.GetRowSpan(yy);
            var vr = variance.GetRowSpan(yy);
            for (int xx = Math.Max(0, x - 2); xx <= Math.Min(Width - 1, x + 2); xx++)
                if (fl[xx] == 0 && (fb[xx] & OwnBad) == 0)
                {
                    sum += vr[xx];
                    n++;
                }
        }
        return n > 0 ? sum / n : BackgroundVariance;
    }

    /// <summary>8-connected groups among the flagged pixels (marks them 2 in <see cref="Flagged"/> as it goes).</summary>
    private int CountHits(IReadOnlyList<long> pixels)
    {
        int w = Width, h = Height, hits = 0;
        var stack = new Stack<(int X, int Y)>();
        foreach (long q in pixels)
        {
            int x0 = (int)(q % w), y0 = (int)(q / w);
            if (Flagged.GetRowSpan(y0)[x0] != 1) continue;
            hits++;
            Flagged.GetRowSpan(y0)[x0] = 2;
            stack.Push((x0, y0));
            while (stack.Count > 0)
            {
                var (x, y) = stack.Pop();
                for (int yy = Math.Max(0, y - 1); yy <= Math.Min(h - 1, y + 1); yy++)
                {
                    var fl = Flagged.GetRowSpan(yy);
                    for (int xx = Math.Max(0, x - 1); xx <= Math.Min(w - 1, x + 1); xx++)
                        if (fl[xx] == 1)
                        {
                            fl[xx] = 2;
                            stack.Push((xx, yy));
                        }
                }
            }
        }
        return hits;
    }

    /// <summary>Returns the planes to their pool.</summary>
    public void Dispose()
    {
        Clean.Dispose();
        Noise.Dispose();
        Flags.Dispose();
        Flagged.Dispose();
    }
}
