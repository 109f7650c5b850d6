using ImageCore.Characterize;

namespace ImageCore.Coadd;

/// <summary>A set of pixels of a grid as disjoint row runs (grid coordinates, 0-based), indexed by row, so that a band
/// of rows finds its runs without a search: the compact form of a per-visit mask that a coadd applies while it
/// streams the warp (afw's SpanSet).</summary>
internal sealed class RowSpans
{
    private readonly FootprintSpan[] _spans;
    private readonly int[] _rowStart;   // runs of row y are _spans[_rowStart[y] .. _rowStart[y + 1])

    /// <summary>The union of <paramref name="spans"/> (any order, may overlap) on a grid <paramref name="height"/> rows
    /// tall; runs outside rows 0..height-1 are dropped.</summary>
    public RowSpans(List<FootprintSpan> spans, int height)
    {
        var merged = FootprintSets.MergeRows(spans.FindAll(s => s.Y >= 0 && s.Y < height));
        _spans = [.. merged];
        _rowStart = new int[height + 1];
        foreach (var s in _spans) _rowStart[s.Y + 1]++;
        for (int y = 0; y < height; y++) _rowStart[y + 1] += _rowStart[y];
        foreach (var s in _spans) Area += s.Length;
    }

    /// <summary>No pixels, on a grid <paramref name="height"/> rows tall.</summary>
    public static RowSpans Empty(int height) => new([], height);

    /// <summary>The number of pixels.</summary>
    public long Area { get; }

    /// <summary>The runs of row <paramref name="y"/>, by first column.</summary>
    public ReadOnlySpan<FootprintSpan> Row(int y) => (uint)y < (uint)(_rowStart.Length - 1) ? _spans.AsSpan(_rowStart[y], _rowStart[y + 1] - _rowStart[y]) : [];

    /// <summary>Every run, by row then column.</summary>
    public ReadOnlySpan<FootprintSpan> All => _spans;
}
