namespace ImageCore.Characterize;

/// <summary>What <see cref="CosmicRays.FindAndRepair"/> found.</summary>
/// <param name="Pixels">Pixels flagged CR.</param>
/// <param name="Hits">8-connected groups of CR pixels.</param>
/// <param name="Iterations">Detect-and-clean iterations run (the last found nothing new unless it hit
/// <see cref="CosmicRayConfig.MaxIterations"/>).</param>
/// <param name="Replaced">Pixels whose value and variance were replaced (0 when
/// <see cref="CosmicRayConfig.Replace"/> is false).</param>
/// <param name="Background">The median of the usable pixels (image units), the replacement value where a hit has
/// no usable neighbour.</param>
public sealed record CosmicRayResult(long Pixels, int Hits, int Iterations, long Replaced, double Background);
