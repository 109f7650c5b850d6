namespace ImageCore.Characterize;

/// <summary>How many footprints each cut of the PSF star selection removed, in the order the cuts run.</summary>
/// <param name="Footprints">Footprints offered.</param>
/// <param name="Blended">More peaks than <see cref="PsfStarSelectorConfig.MaxPeaks"/> (or none).</param>
/// <param name="Masked">A pixel of the footprint or of the star's stamp has a bad mask plane (saturated stars among them).</param>
/// <param name="Unmeasured">Adaptive moments did not converge, or the centroid left the peak by more than 2 pixels.</param>
/// <param name="Faint">Signal-to-noise below <see cref="PsfStarSelectorConfig.MinSignalToNoise"/>.</param>
/// <param name="WrongSize">Width outside <see cref="PsfStarSelectorConfig.MinWidth"/>..<see cref="PsfStarSelectorConfig.MaxWidth"/>.</param>
/// <param name="Elongated">Ellipticity above <see cref="PsfStarSelectorConfig.MaxEllipticity"/>.</param>
/// <param name="OffLocus">Outside the stellar locus (galaxies, blends).</param>
/// <param name="Edge">The stamp leaves the image.</param>
/// <param name="Crowded">Another footprint reaches into the stamp.</param>
/// <param name="OverLimit">Beyond <see cref="PsfStarSelectorConfig.MaxCandidates"/>.</param>
/// <param name="Selected">Candidates kept.</param>
public sealed record PsfStarSelectionCounts(int Footprints, int Blended, int Masked, int Unmeasured, int Faint, int WrongSize, int Elongated,
                                            int OffLocus, int Edge, int Crowded, int OverLimit, int Selected)
{
    /// <summary>"2004 footprints: 120 blended, 80 masked, ... -> 420 selected".</summary>
    public override string ToString() =>
        $"{Footprints} footprints: {Blended} blended, {Masked} masked, {Unmeasured} unmeasured, {Faint} faint, {WrongSize} wrong size, "
        + $"{Elongated} elongated, {OffLocus} off the stellar locus, {Edge} at the edge, {Crowded} crowded, {OverLimit} over the limit -> {Selected} selected";
}

/// <summary>What the PSF star selector chose.</summary>
/// <param name="Candidates">The PSF stars, brightest first.</param>
/// <param name="LocusWidth">The stellar locus' median width sqrt((Ixx + Iyy) / 2), pixels (NaN when no source reached
/// the locus step).</param>
/// <param name="KernelSize">The stamp (and kernel) size chosen for them, pixels, odd.</param>
/// <param name="Border">Pixels beyond the kernel box that every stamp has inside the image, clean and uncrowded.</param>
/// <param name="Counts">How many footprints each cut removed.</param>
public sealed record PsfStarSelection(IReadOnlyList<PsfCandidate> Candidates, double LocusWidth, int KernelSize, int Border, PsfStarSelectionCounts Counts);
