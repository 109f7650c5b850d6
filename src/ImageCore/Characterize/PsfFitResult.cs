using ImageCore.Psf;

namespace ImageCore.Characterize;

/// <summary>One PSF star after the fit.</summary>
/// <param name="Candidate">The star as selected.</param>
/// <param name="Flux">Its PSF flux from the last fit (the model scaled to it by weighted least squares), image units.</param>
/// <param name="ChiSquare">Chi-square per fitted pixel of the star's stamp against the model.</param>
/// <param name="ClippedPixels">Stamp pixels left out as outliers.</param>
/// <param name="Used">False when the star was rejected as an outlier.</param>
public sealed record PsfStarFit(PsfCandidate Candidate, double Flux, double ChiSquare, int ClippedPixels, bool Used);

/// <summary>The fitted PSF and how each star fared.</summary>
/// <param name="Psf">The model, over the exposure's box.</param>
/// <param name="Stars">Every candidate, in the selection's order.</param>
/// <param name="SpatialOrder">The order fitted (below the configured one when stars were few).</param>
/// <param name="StarsUsed">Stars in the final fit.</param>
/// <param name="MedianChiSquare">Median chi-square per pixel of the stars used.</param>
public sealed record PsfFitResult(PixelBasisPsf Psf, IReadOnlyList<PsfStarFit> Stars, int SpatialOrder, int StarsUsed, double MedianChiSquare);
