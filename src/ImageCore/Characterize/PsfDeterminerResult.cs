using ImageCore.Psf;

namespace ImageCore.Characterize;

/// <summary>The measured PSF with how it was found.</summary>
/// <param name="Psf">The model (set it as the exposure's <c>Psf</c> to keep it).</param>
/// <param name="Selection">The PSF stars and what each cut removed.</param>
/// <param name="Fit">The fit's per-star results, the spatial order and the stars used.</param>
public sealed record PsfDeterminerResult(PixelBasisPsf Psf, PsfStarSelection Selection, PsfFitResult Fit);
