using ImageCore.Images;

namespace ImageCore.Characterize;

/// <summary>
/// Finds cosmic-ray hits by L.A.Cosmic (van Dokkum 2001) as astroscrappy computes it (<c>sepmed</c>,
/// <c>fsmode='median'</c>, <c>cleantype='meanmask'</c>), flags them CR and replaces them by the mean of their usable
/// neighbours. Per iteration, on the working image c (the exposure, hits replaced so far) and the noise
/// N = sqrt(7 x 7 separable median of the variance plane):
/// <list type="number">
/// <item>s = Laplacian of c subsampled 2x, clipped at 0, averaged back, over 2N
/// (<see cref="CosmicRayKernels.Laplacian"/>, in closed form on the original pixels);
/// s' = s - its 7 x 7 separable median.</item>
/// <item>Candidates: s' &gt; <see cref="CosmicRayConfig.SigmaClip"/> and s' &gt; <see cref="CosmicRayConfig.ObjectLimit"/>
/// times the fine-structure contrast F = max((m5 - m9) / N, 0.01), m5 the 5 x 5 separable median of c and m9 the
/// 9 x 9 separable median of m5 (a point source's core is sharp in s' but also in F; a hit only in s'); and, an
/// addition to L.A.Cosmic, c - m5 &gt; <see cref="CosmicRayConfig.MinSeedSignificance"/> x N; and, when
/// <see cref="CosmicRayConfig.PsfFwhm"/> is given, sharper than that PSF in some direction.</item>
/// <item>Grow twice by the 3 x 3 neighbours: first keeping pixels with s' &gt; SigmaClip, then s' &gt;
/// <see cref="CosmicRayConfig.SigmaFraction"/> x SigmaClip.</item>
/// <item>Replace every flagged pixel of c by the mean of the pixels in its 5 x 5 box that are neither flagged nor
/// bad (<see cref="CosmicRayConfig.BadMaskPlanes"/>), the image's median where there are none; repeat until an
/// iteration adds nothing or <see cref="CosmicRayConfig.MaxIterations"/> is reached.</item>
/// </list>
/// Beyond the image edges every filter sees the edge pixels repeated. Pixels of <see cref="CosmicRayConfig.BadMaskPlanes"/>,
/// those within <see cref="CosmicRayConfig.GrowBadMask"/> of one or within <see cref="CosmicRayConfig.GrowSaturated"/>
/// of a SAT pixel, and non-finite pixels are never flagged. The work is
/// done in tiles; after the first iteration only tiles near the pixels that changed are recomputed, which gives the
/// same result as recomputing everything (nothing else changed). The noise map is computed once from the input
/// variance (astroscrappy recomputes it from its cleaned variance each time; the separable median ignores the few
/// hit pixels in a window).
/// </summary>
public static class CosmicRays
{
    /// <summary>Halo of a tile: the farthest pixel the filters of one iteration read (Laplacian 1 + medians 2 and 4 +
    /// two dilations 1 + 1), in pixels.</summary>
    internal const int Halo = 8;

    /// <summary>Core size of the tiles of the first iteration.</summary>
    internal const int FirstTile = 120;

    /// <summary>Core size of the tiles of later iterations (and of the grid that tracks which need work).</summary>
    internal const int LaterTile = 24;

    /// <summary>
    /// Finds and repairs cosmic rays in place. The CR plane is cleared first, then set on every detected pixel; with
    /// <see cref="CosmicRayConfig.Replace"/> each detected pixel's value becomes the mean of the pixels in its 5 x 5 box
    /// that are neither detected nor bad (<see cref="CosmicRayConfig.BadMaskPlanes"/> or non-finite), its variance the
    /// mean of those pixels' variances (the pixel is as uncertain as a typical neighbour; where there is no such
    /// neighbour, the image's median and the median variance), and it gets INTRP. The image must be in electrons
    /// with its variance (e-^2); its background may or may not have been subtracted.
    /// </summary>
    /// <param name="image">The exposure's pixels; changed in place (image, mask, variance).</param>
    /// <param name="config">The parameters; validated here.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use, at least 1.</param>
    /// <param name="cancel">Checked between tiles.</param>
    /// <returns>Pixels and hits flagged, iterations run.</returns>
    /// <exception cref="ConfigException">A config field is out of range, or names a mask plane the image lacks.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is below 1.</exception>
    /// <exception cref="TooManyCosmicRaysException">More than <see cref="CosmicRayConfig.MaxPixels"/> pixels would be
    /// flagged; the exposure is left unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> fired; the exposure is left unchanged.</exception>
    public static CosmicRayResult FindAndRepair(MaskedImage image, CosmicRayConfig config, int maxDegreeOfParallelism, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        config.Validate();
        int badBits = 0;
        foreach (string plane in config.BadMaskPlanes)
        {
            if (!image.Mask.Planes.TryGetValue(plane, out int bit))
                throw new ConfigException("CosmicRayConfig.BadMaskPlanes", plane, $"names a plane the mask does not have (planes: {string.Join(", ", image.Mask.Planes.Keys)})");
            badBits |= 1 << bit;
        }
        int crBit = 1 << image.Mask.AddPlane("CR"), intrpBit = 1 << image.Mask.AddPlane("INTRP");
        var p = new Parameters((float)config.SigmaClip, (float)(config.SigmaFraction * config.SigmaClip), (float)config.ObjectLimit,
            config.MinSeedSignificance > 0 ? (float)config.MinSeedSignificance : float.NegativeInfinity,
            PsfThreshold(config.PsfFwhm, 1), PsfThreshold(config.PsfFwhm, 2),
            config.MaxIterations, config.MaxPixels, config.GrowBadMask, config.GrowSaturated, maxDegreeOfParallelism);
        int satBits = image.Mask.Planes.TryGetValue("SAT", out int satBit) ? 1 << satBit : 0;
        using var work = CosmicRayWork.Create(image, badBits, satBits, p, cancel);
        var (pixels, iterations) = work.Detect(cancel);
        return work.Apply(image, pixels, iterations, crBit, intrpBit, config.Replace);
    }

    /// <summary>meas_algorithms' condition-3 factor (cond3_fac2) times a Gaussian PSF's value at squared distance
    /// <paramref name="d2"/> over its centre; 0 when the FWHM is unknown (the test is off).</summary>
    internal static float PsfThreshold(double fwhm, int d2)
    {
        if (fwhm <= 0) return 0f;
        double sigma = fwhm / (2 * Math.Sqrt(2 * Math.Log(2)));
        return (float)(0.35 * Math.Exp(-d2 / (2 * sigma * sigma)));
    }

    /// <summary>Whether pixel value <paramref name="c"/> over background <paramref name="b"/> with noise
    /// <paramref name="n"/> is sharper than the PSF in some direction (the means of its two neighbours along the row,
    /// column and diagonals given); true when the test is off.</summary>
    internal static bool SharperThanPsf(in Parameters p, float c, float b, float n, float row, float column, float diagonal, float antidiagonal)
    {
        if (p.PsfSide == 0f) return true;
        float peak = c - b - 2f * n, margin = 1.4142135f * n;
        return p.PsfSide * peak > row - b + margin || p.PsfSide * peak > column - b + margin
            || p.PsfDiagonal * peak > diagonal - b + margin || p.PsfDiagonal * peak > antidiagonal - b + margin;
    }

    /// <summary>The numeric parameters, as the kernels use them.</summary>
    internal readonly record struct Parameters(float SigmaClip, float GrowLimit, float ObjectLimit, float SeedSigma, float PsfSide, float PsfDiagonal, int MaxIterations, long MaxPixels, int GrowBadMask, int GrowSaturated, int Threads);
}
