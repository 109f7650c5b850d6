using System.Runtime.InteropServices;

namespace ImageCore.Characterize;

/// <summary>
/// Footprints from runs of detected pixels (afw's <c>FootprintSet</c>): 8-connected components by union-find over
/// the runs, peaks, growth by a disc and the merging of grown footprints that overlap or touch. Runs are in local
/// pixel coordinates until the footprints are made, which are in parent coordinates.
/// </summary>
internal static class FootprintSets
{
    /// <summary>The footprints of <paramref name="runs"/> (sorted by row, then column; one sign), grown by
    /// <paramref name="grow"/> px, ordered by their first pixel.</summary>
    public static List<Footprint> Build(List<FootprintSpan> runs, int minPixels, int grow, int width, int height,
                                        SourceDetection.DetectionPlanes planes, int sign)
    {
        var result = new List<Footprint>();
        if (runs.Count == 0) return result;
        var all = CollectionsMarshal.AsSpan(runs);
        int[] label = Label(all, out int count);
        var groups = Group(all, label, count);
        var kept = new List<FootprintSpan[]>();
        var peaks = new List<List<FootprintPeak>>();
        foreach (var g in groups)
        {
            long area = 0;
            foreach (var s in g) area += s.Length;
            if (area < minPixels) continue;
            kept.Add(g);
            peaks.Add(Peaks(g, planes, sign));
        }
        int x0 = planes.Image.BBox.MinX, y0 = planes.Image.BBox.MinY;
        if (grow == 0 || kept.Count == 0)
        {
            for (int i = 0; i < kept.Count; i++) result.Add(new Footprint(kept[i].Select(s => Shift(s, x0, y0)), peaks[i]));
            return result;
        }
        // Grow every footprint, merge the grown spans row by row, and find the components of the union.
        var grown = new List<FootprintSpan>(runs.Count * (2 * grow + 1));
        var halfWidths = new int[2 * grow + 1];
        for (int dy = -grow; dy <= grow; dy++) halfWidths[dy + grow] = (int)Math.Floor(Math.Sqrt((double)grow * grow - (double)dy * dy));
        foreach (var g in kept)
            foreach (var s in g)
                for (int dy = -grow; dy <= grow; dy++)
                {
                    int y = s.Y + dy;
                    if (y < 0 || y >= height) continue;
                    int w = halfWidths[dy + grow];
                    grown.Add(new FootprintSpan(y, Math.Max(0, s.X0 - w), Math.Min(width - 1, s.X1 + w)));
                }
        var merged = MergeRows(grown);
        var mergedSpan = CollectionsMarshal.AsSpan(merged);
        int[] mergedLabel = Label(mergedSpan, out int mergedCount);
        var mergedGroups = Group(mergedSpan, mergedLabel, mergedCount);
        var mergedPeaks = new List<FootprintPeak>[mergedCount];
        for (int i = 0; i < mergedCount; i++) mergedPeaks[i] = [];
        for (int i = 0; i < kept.Count; i++)
        {
            var first = kept[i][0];
            int run = FindRun(mergedSpan, first.Y, first.X0);
            mergedPeaks[mergedLabel[run]].AddRange(peaks[i]);
        }
        for (int c = 0; c < mergedCount; c++) result.Add(new Footprint(mergedGroups[c].Select(s => Shift(s, x0, y0)), mergedPeaks[c]));
        return result;
    }

    private static FootprintSpan Shift(FootprintSpan s, int x0, int y0) => new(s.Y + y0, s.X0 + x0, s.X1 + x0);

    /// <summary>Component labels of runs sorted by row then column: runs on adjacent rows whose columns overlap or
    /// touch diagonally are joined. Labels count from 0 in the order of each component's first run.</summary>
    internal static int[] Label(ReadOnlySpan<FootprintSpan> runs, out int count)
    {
        int n = runs.Length;
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int previousStart = 0, previousEnd = 0, k = 0;
        while (k < n)
        {
            int y = runs[k].Y, start = k;
            while (k < n && runs[k].Y == y) k++;
            if (previousEnd > previousStart && runs[previousStart].Y == y - 1)
            {
                int p = previousStart;
                for (int c = start; c < k; c++)
                {
                    while (p < previousEnd && runs[p].X1 < runs[c].X0 - 1) p++;
                    for (int q = p; q < previousEnd && runs[q].X0 <= runs[c].X1 + 1; q++) Union(parent, c, q);
                }
            }
            previousStart = start;
            previousEnd = k;
        }
        var rootLabel = new int[n];
        Array.Fill(rootLabel, -1);
        var label = new int[n];
        count = 0;
        for (int i = 0; i < n; i++)
        {
            int r = Find(parent, i);
            if (rootLabel[r] < 0) rootLabel[r] = count++;
            label[i] = rootLabel[r];
        }
        return label;
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return;
        if (ra < rb) parent[rb] = ra; else parent[ra] = rb;
    }

    /// <summary>The runs of each label, in run order.</summary>
    internal static FootprintSpan[][] Group(ReadOnlySpan<FootprintSpan> runs, int[] label, int count)
    {
        var sizes = new int[count];
        foreach (int l in label) sizes[l]++;
        var groups = new FootprintSpan[count][];
        for (int c = 0; c < count; c++) groups[c] = new FootprintSpan[sizes[c]];
        Array.Clear(sizes);
        for (int i = 0; i < runs.Length; i++) groups[label[i]][sizes[label[i]]++] = runs[i];
        return groups;
    }

    /// <summary>The union of spans (local coordinates, non-negative), as runs sorted by row then column, overlapping or
    /// adjacent spans of a row joined. Spans of images under 2^21 px a side sort as single 63-bit keys (row, first
    /// column, last column), which is several times faster than sorting structs by a key.</summary>
    internal static List<FootprintSpan> MergeRows(List<FootprintSpan> spans)
    {
        const int Bits = 21;
        const long Field = (1L << Bits) - 1;
        var sorted = spans.ToArray();
        bool packable = true;
        foreach (var s in sorted) packable &= (s.Y | s.X0 | s.X1) >= 0 && s.Y <= Field && s.X1 <= Field;
        if (packable)
        {
            var keys = new long[sorted.Length];
            for (int i = 0; i < sorted.Length; i++) keys[i] = ((long)sorted[i].Y << (2 * Bits)) | ((long)sorted[i].X0 << Bits) | (long)sorted[i].X1;
            Array.Sort(keys);
            for (int i = 0; i < keys.Length; i++)
                sorted[i] = new FootprintSpan((int)(keys[i] >> (2 * Bits)), (int)((keys[i] >> Bits) & Field), (int)(keys[i] & Field));
        }
        else
        {
            var keys = new long[sorted.Length];
            for (int i = 0; i < sorted.Length; i++) keys[i] = ((long)sorted[i].Y << 32) | (uint)sorted[i].X0;
            Array.Sort(keys, sorted);
        }
        var merged = new List<FootprintSpan>();
        foreach (var s in sorted)
        {
            if (merged.Count > 0 && merged[^1].Y == s.Y && s.X0 <= merged[^1].X1 + 1)
            {
                if (s.X1 > merged[^1].X1) merged[^1] = merged[^1] with { X1 = s.X1 };
            }
            else merged.Add(s);
        }
        return merged;
    }

    /// <summary>The index of the run (sorted, disjoint) holding pixel (x, y).</summary>
    private static int FindRun(ReadOnlySpan<FootprintSpan> runs, int y, int x)
    {
        int lo = 0, hi = runs.Length - 1;   // last run with (Y, X0) <= (y, x)
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (runs[mid].Y < y || (runs[mid].Y == y && runs[mid].X0 <= x)) lo = mid; else hi = mid - 1;
        }
        if (runs[lo].Y != y || x < runs[lo].X0 || x > runs[lo].X1)
            throw new InvalidOperationException($"pixel ({x}, {y}) of a footprint is missing from its grown footprint");
        return lo;
    }

    /// <summary>Local extrema of the smoothed image (maxima for sign 1, minima for -1) in a footprint.</summary>
    private static List<FootprintPeak> Peaks(FootprintSpan[] spans, SourceDetection.DetectionPlanes planes, int sign)
    {
        var peaks = new List<FootprintPeak>();
        var s = planes.Smoothed!;
        var z = planes.Significance!;
        int h = planes.HalfWidth, iw = s.Width, ih = s.Height;
        var image = planes.Image.Image.Plane;
        int ox = planes.Image.BBox.MinX, oy = planes.Image.BBox.MinY;
        float best = float.NegativeInfinity;
        int bestX = spans[0].X0, bestY = spans[0].Y;
        foreach (var span in spans)
        {
            int j = span.Y - h;
            for (int x = span.X0; x <= span.X1; x++)
            {
                int i = x - h;
                float v = sign * s[i, j], sig = sign * z[i, j];
                if (sig > best) { best = sig; bestX = x; bestY = span.Y; }
                bool peak = true;
                for (int dj = -1; dj <= 1 && peak; dj++)
                    for (int di = -1; di <= 1; di++)
                    {
                        if (di == 0 && dj == 0) continue;
                        int ii = i + di, jj = j + dj;
                        if (ii < 0 || ii >= iw || jj < 0 || jj >= ih) continue;
                        float nv = sign * s[ii, jj];
                        bool earlier = dj < 0 || (dj == 0 && di < 0);
                        if (earlier ? !(v > nv) : !(v >= nv)) { peak = false; break; }
                    }
                if (peak && !planes.IsExcluded(x, span.Y)) peaks.Add(new FootprintPeak(x + ox, span.Y + oy, image[x, span.Y], sig));
            }
        }
        if (peaks.Count == 0)
            peaks.Add(new FootprintPeak(bestX + ox, bestY + oy, planes.IsExcluded(bestX, bestY) ? 0 : image[bestX, bestY], best));
        return peaks;
    }
}
