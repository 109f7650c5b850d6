namespace ImageCore.Warp;

/// <summary>The kernels and mask rules of one warp.</summary>
internal sealed class WarpKernels(WarpingKernel kernel, int tableBins, WarpingKernel? maskKernel, int growBits, int noData)
{
    public readonly WarpingKernel Kernel = kernel;
    public readonly int TableBins = tableBins;
    /// <summary>The kernel's renormalised single-precision tap table when it has one (<see cref="WarpingKernel.NormalizedTable"/>).</summary>
    public readonly float[]? Table = tableBins > 0 && kernel.IsTabulated ? kernel.NormalizedTable(tableBins) : null;
    public readonly WarpingKernel? MaskKernel = maskKernel;
    public readonly int GrowBits = growBits;
    public readonly int NoData = noData;
}
