using ImageCore.Geometry;

namespace ImageCore.Characterize;

/// <summary>One run of a footprint's pixels on a row: columns <see cref="X0"/> to <see cref="X1"/> inclusive of
/// row <see cref="Y"/>, in parent (exposure) coordinates.</summary>
/// <param name="Y">Row, parent coordinates.</param>
/// <param name="X0">First column, parent coordinates.</param>
/// <param name="X1">Last column (inclusive), parent coordinates.</param>
public readonly record struct FootprintSpan(int Y, int X0, int X1)
{
    /// <summary>Pixels in the run.</summary>
    public int Length => X1 - X0 + 1;
}

/// <summary>A local maximum of a footprint: its pixel (parent coordinates), the image value there and its
/// significance (the smoothed image over its noise, in sigma).</summary>
/// <param name="X">Column, parent coordinates.</param>
/// <param name="Y">Row, parent coordinates.</param>
/// <param name="Value">The (background-subtracted) image value at the peak.</param>
/// <param name="Significance">The detection image at the peak in units of its noise.</param>
public readonly record struct FootprintPeak(int X, int Y, float Value, float Significance);

/// <summary>
/// A detected source: an 8-connected set of pixels above the detection threshold, as row spans sorted by
/// row then column, and the peaks found in it, most significant first (afw's Footprint with its PeakCatalog).
/// </summary>
public sealed class Footprint
{
    /// <summary>A footprint from its spans (any order; sorted here) and peaks (sorted here, most significant first).</summary>
    /// <exception cref="ArgumentException">No spans, or a span with X1 &lt; X0.</exception>
    public Footprint(IEnumerable<FootprintSpan> spans, IEnumerable<FootprintPeak> peaks)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(peaks);
        var s = spans.ToArray();
        if (s.Length == 0) throw new ArgumentException("a footprint needs at least one span", nameof(spans));
        Array.Sort(s, static (a, b) => a.Y != b.Y ? a.Y.CompareTo(b.Y) : a.X0.CompareTo(b.X0));
        int minX = int.MaxValue, maxX = int.MinValue;
        long area = 0;
        foreach (var span in s)
        {
            if (span.X1 < span.X0) throw new ArgumentException($"span on row {span.Y} ends ({span.X1}) before it starts ({span.X0})", nameof(spans));
            minX = Math.Min(minX, span.X0);
            maxX = Math.Max(maxX, span.X1);
            area += span.Length;
        }
        Spans = s;
        var p = peaks.ToArray();
        Array.Sort(p, static (a, b) => b.Significance.CompareTo(a.Significance));
        Peaks = p;
        Area = area;
        BBox = Box2I.FromCorners(minX, s[0].Y, maxX, s[^1].Y);
    }

    /// <summary>The pixels, as runs sorted by row then first column.</summary>
    public IReadOnlyList<FootprintSpan> Spans { get; }

    /// <summary>The peaks, most significant first.</summary>
    public IReadOnlyList<FootprintPeak> Peaks { get; }

    /// <summary>The number of pixels.</summary>
    public long Area { get; }

    /// <summary>The smallest box holding every pixel, parent coordinates.</summary>
    public Box2I BBox { get; }

    /// <summary>True when pixel (<paramref name="x"/>, <paramref name="y"/>) (parent coordinates) belongs to the footprint.</summary>
    public bool Contains(int x, int y)
    {
        if (!BBox.Contains(new Point2I(x, y))) return false;
        foreach (var span in Spans)
        {
            if (span.Y > y) break;
            if (span.Y == y && x >= span.X0 && x <= span.X1) return true;
        }
        return false;
    }
}
