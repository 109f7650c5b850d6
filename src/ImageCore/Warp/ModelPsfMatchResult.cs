namespace ImageCore.Warp;

/// <summary>The PSF-matching kernel of one region and how well it fits (what MakePsfMatchedWarpTask reports).</summary>
/// <param name="Kernel">The spatially varying kernel (science convolved with it approximates the model).</param>
/// <param name="CandidateCount">PSF pairs fitted: one per cell of the region grown by one cell.</param>
/// <param name="ResidualRms">Root mean square of model - science (x) K over every fitted stamp pixel (the PSF images
/// sum to 1), with the kernel as fitted.</param>
/// <param name="MaxCandidateResidualRms">The largest such RMS of one candidate.</param>
/// <param name="ModelPeak">The model PSF image's largest pixel, to scale the residuals.</param>
/// <param name="ModelFwhm">FWHM of the model PSF, pixels.</param>
/// <param name="MinScienceFwhm">Smallest FWHM of the science PSF at the candidates, pixels (candidates whose kernel image
/// has no adaptive moments are left out; NaN when none has).</param>
/// <param name="MaxScienceFwhm">Largest FWHM of the science PSF at the candidates, pixels (likewise).</param>
/// <param name="UsedCholesky">False when the normal equations were (nearly) singular and the pseudo-inverse solved them.</param>
public sealed record ModelPsfMatchResult(
    PsfMatchingKernel Kernel,
    int CandidateCount,
    double ResidualRms,
    double MaxCandidateResidualRms,
    double ModelPeak,
    double ModelFwhm,
    double MinScienceFwhm,
    double MaxScienceFwhm,
    bool UsedCholesky)
{
    /// <summary>True when the science PSF is wider than the model somewhere in the region: the kernel would have to
    /// deconvolve there, so the match is poor (the residuals say how poor). The kernel is still the best fit.</summary>
    public bool ScienceWiderThanModel => MaxScienceFwhm > ModelFwhm;
}
