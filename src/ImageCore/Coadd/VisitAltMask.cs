using System.Numerics.Tensors;
using CommunityToolkit.HighPerformance;

namespace ImageCore.Coadd;

/// <summary>
/// CompareWarp's in-memory change to one direct warp's mask, applied to each band of rows as the coadd reads it
/// (drp_tasks' <c>applyAltMaskPlanes</c> and <c>removeMaskPlanes</c>): (1) the stripped planes (EDGE) are cleared
/// everywhere; (2) where the PSF-matched difference was NaN the bad planes are cleared and NO_DATA set, so the warp
/// counts only where the PSF-matched warp had data; (3) the artifacts get CLIPPED. Bits are the warp's own (CLIPPED's
/// being the one the coadd's mask gives it).
/// </summary>
internal sealed class VisitAltMask(RowSpans noData, RowSpans artifacts, int noDataBit, int clippedBit, int clearInNoData, int stripBits)
{
    /// <summary>Where the PSF-matched difference was NaN.</summary>
    public RowSpans NoData { get; } = noData;

    /// <summary>The artifact pixels (CLIPPED).</summary>
    public RowSpans Artifacts { get; } = artifacts;

    /// <summary>Applies the change to rows <paramref name="firstRow"/>.. (grid rows) held in <paramref name="mask"/>.</summary>
    public void Apply(int firstRow, Span2D<int> mask)
    {
        for (int r = 0; r < mask.Height; r++)
        {
            var row = mask.GetRowSpan(r);
            int y = firstRow + r;
            if (stripBits != 0) TensorPrimitives.BitwiseAnd(row, ~stripBits, row);
            foreach (var s in NoData.Row(y))
                for (int x = s.X0; x <= s.X1; x++) row[x] = (row[x] & ~clearInNoData) | noDataBit;
            foreach (var s in Artifacts.Row(y))
                for (int x = s.X0; x <= s.X1; x++) row[x] |= clippedBit;
        }
    }
}
