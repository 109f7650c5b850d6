using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Warp;

/// <summary>One detector's part in a direct warp.</summary>
/// <param name="Detector">Detector name (DETNAME of the post-ISR exposure, or the file name).</param>
/// <param name="Path">The post-ISR exposure it came from.</param>
/// <param name="GoodPixels">Good warped pixels it copied in (a later detector may overwrite some where the two overlap).</param>
/// <param name="Weight">1 / mean variance of its good warped pixels (what a coadd would weight it by).</param>
public sealed record DirectWarpDetector(string Detector, string Path, long GoodPixels, double Weight);

/// <summary>A direct warp as written: its visit, patch and the detectors in it.</summary>
/// <param name="Visit">The visit.</param>
/// <param name="Tract">Tract id.</param>
/// <param name="Patch">Sequential patch id in the tract.</param>
/// <param name="Detectors">The detectors that gave pixels, in the order they were copied in.</param>
/// <param name="GoodPixels">Good (not NO_DATA) pixels of the warp.</param>
public sealed record DirectWarpResult(int Visit, int Tract, int Patch, IReadOnlyList<DirectWarpDetector> Detectors, long GoodPixels);

/// <summary>
/// Rubin's makeDirectWarp: every detector of one visit that touches a patch is warped onto the patch's outer box
/// grown by <see cref="Border"/> pixels (on the tract WCS), and its good pixels (not NO_DATA) are copied into one
/// warp that starts as (NaN, NO_DATA, +inf); where detectors overlap, later ones overwrite earlier ones, as
/// copyGoodPixels does. Only each detector's warped bounding box is computed. The warp's metadata record the
/// visit, tract and patch, and each input detector with its good pixels and weight (INDETnnn, INGPXnnn,
/// INWGTnnn). When every detector that gives pixels carries a PSF (a calexp), the warp carries their
/// <see cref="CoaddPsf"/> (each detector weighted 1, its valid region its box, in the warp's pixels). Pixels stay in the post-ISR exposures' units (electrons): ImageCore has no photometric calibration
/// yet, so there is no conversion to nJy.
/// </summary>
public static class DirectWarp
{
    /// <summary>Pixels the direct warp grows the patch's outer box by on each side (Rubin's 256, "to allow for PSF
    /// matching later"), at full LSSTCam pixel scale.</summary>
    public const int Border = 256;

    /// <summary>The grid of the direct warp of <paramref name="patch"/>: its outer box grown by <paramref name="border"/>
    /// pixels, the file's first pixel at the grown box's minimum.</summary>
    public static WarpTarget Target(TractInfo tract, PatchInfo patch, int border)
    {
        ArgumentNullException.ThrowIfNull(tract);
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentOutOfRangeException.ThrowIfNegative(border);
        var box = patch.Outer.Grow(border);
        return new WarpTarget(box.Width, box.Height, tract.Wcs.WithPixelOrigin(box.MinX, box.MinY),
            string.Create(CultureInfo.InvariantCulture, $"tract {tract.Id} patch {patch.Sequential(tract)} ({patch.X}, {patch.Y}) outer box grown by {border} at ({box.MinX}, {box.MinY})"));
    }

    /// <summary>Builds the direct warp of <paramref name="visit"/> on <paramref name="target"/> from the post-ISR exposures at
    /// <paramref name="exposurePaths"/> and writes it to <paramref name="outputPath"/> (temporary name, then rename).
    /// Detectors whose footprint misses the grid are left out (and not listed). When no good pixel lands inside
    /// <paramref name="usefulRegion"/> (the patch's outer box within the grown grid; the whole grid by default)
    /// nothing is written and the result has no good pixels (Rubin's NoWorkFound).</summary>
    /// <exception cref="FitsFormatException">An input is not an exposure, or has no or a malformed WCS (the message names the file).</exception>
    /// <exception cref="IOException">An input could not be read; no output is left.</exception>
    /// <exception cref="ArgumentException">No input's warped box touches the grid, the inputs' mask planes disagree, or
    /// some detectors carry a PSF and others none.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked before each detector
    /// and between the output's planes); nothing is written.</exception>
    public static DirectWarpResult Run(int visit, int tract, int patch, IReadOnlyList<string> exposurePaths, WarpTarget target, WarpConfig config,
                                       string outputPath, int maxDegreeOfParallelism = 1, Box2I? usefulRegion = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exposurePaths);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (exposurePaths.Count == 0) throw new ArgumentException("a direct warp needs at least one detector");
        var grid = new Box2I(0, 0, target.Width, target.Height);
        MaskedImage? output = null;
        FitsHeader? visitMetadata = null;
        var detectors = new List<DirectWarpDetector>();
        var psfComponents = new List<CoaddPsfComponent>();
        string? withPsf = null, withoutPsf = null;
        try
        {
            foreach (string path in exposurePaths)
            {
                cancel.ThrowIfCancellationRequested();
                using var input = WarpInput.ReadExposure(path);   // a malformed or conflicting WCS is refused here, naming the HDU
                var wcs = input.Wcs ?? throw new FitsFormatException(path, 0, -1, "CTYPE1", "the post-ISR exposure has no celestial WCS");
                var covered = Warper.WarpedBBox(input.BBox, wcs, target.Wcs).Intersect(grid);
                if (covered.IsEmpty) continue;
                bool first = output is null;
                if (first)
                {
                    output = Warper.NoDataImage(grid, input.MaskPlanes!);
                    visitMetadata = input.Metadata;
                }
                long good;
                double weight;
                if (first)
                {
                    // The first detector goes straight into the output, which holds nothing yet (all NO_DATA): the
                    // same pixels as warping it apart and copying its good ones, without the intermediate planes.
                    Warper.WarpInto(input.Planes, input.MaskPlanes!, wcs, target.Wcs, output!, covered, config, maxDegreeOfParallelism, cancel: cancel);
                    (good, weight) = GoodPixelsAndWeight(output!, covered);
                }
                else
                {
                    // A later one is warped apart, so that its NO_DATA pixels do not overwrite the earlier detectors'.
                    var (warped, _) = Warper.Warp(input.Planes, input.MaskPlanes!, wcs, target.Wcs, covered, config, maxDegreeOfParallelism, cancel);
                    using (warped) (good, weight) = CopyGoodPixels(warped, output!, path);
                }
                input.ThrowIfChanged();   // a mapped exposure changed under the warp: fail it rather than keep doubtful pixels
                string name = input.Metadata.Contains("DETNAME") ? input.Metadata.GetString("DETNAME") : System.IO.Path.GetFileNameWithoutExtension(path);
                if (good > 0)
                {
                    detectors.Add(new DirectWarpDetector(name, path, good, weight));
                    if (input.Psf is { } psf)
                    {
                        withPsf ??= path;
                        psfComponents.Add(new CoaddPsfComponent(psf, wcs, input.BBox, 1, visit, name));
                    }
                    else withoutPsf ??= path;
                }
            }
            if (output is null) throw new ArgumentException($"no detector of visit {visit} touches {target.Description}");
            var header = new FitsHeader(outputPath, 0);
            foreach (var card in visitMetadata!)
                if (card.Kind == FitsValueKind.Commentary || !IsPerDetectorOrStructural(card.Keyword)) header.Add(card);
            target.Wcs.WriteTo(header);
            header.Set("VISIT", (long)visit, "the visit warped");
            header.Set("TRACT", (long)tract);
            header.Set("PATCH", (long)patch);
            header.Set("NINDET", (long)detectors.Count, "detectors in this warp");
            for (int k = 0; k < detectors.Count; k++)
            {
                header.Set($"INDET{k:D3}", detectors[k].Detector, "input detector");
                header.Set($"INGPX{k:D3}", detectors[k].GoodPixels, "its good pixels in the warp");
                header.Set($"INWGT{k:D3}", detectors[k].Weight, "1 / mean variance of its warped pixels");
            }
            header.AddCommentary("HISTORY", $"ImageCore direct warp: kernel {config.Kernel}, interpLength {config.InterpLength}");
            foreach (var chunk in target.Description.Chunk(50)) header.AddCommentary("HISTORY", "ImageCore warp onto: " + new string(chunk));
            long total = CountGood(output, grid);
            if (usefulRegion is { } useful && CountGood(output, useful.Intersect(grid)) == 0)
                return new DirectWarpResult(visit, tract, patch, detectors, 0);
            if (withPsf is not null && withoutPsf is not null)
                throw new ArgumentException($"visit {visit}: {withPsf} has a PSF but {withoutPsf} has none: a direct warp's detectors are all calexps (with PSFs) or all post-ISR exposures (without)");
            // Every detector with a PSF: the warp carries their CoaddPsf, each detector weighted 1 (afw's makeDirectWarp
            // does the same; a warp pixel comes from one detector, and the coadd weights the visit as a whole).
            var warpPsf = withPsf is null ? null : new CoaddPsf(psfComponents, target.Wcs);
            ExposureFits.Write(outputPath, new Exposure(output, header) { Psf = warpPsf }, cancel);
            return new DirectWarpResult(visit, tract, patch, detectors, total);
        }
        finally
        {
            output?.Dispose();
        }
    }

    /// <summary>copyGoodPixels: every pixel of <paramref name="warped"/> (placed at its xy0 in <paramref name="dest"/>)
    /// without NO_DATA overwrites the destination; only those of <paramref name="region"/> (inside
    /// <paramref name="warped"/>'s box) where it is given. Returns how many were copied and 1 / their mean variance.</summary>
    internal static (long Good, double Weight) CopyGoodPixels(MaskedImage warped, MaskedImage dest, string source, Box2I? region = null)
    {
        int noData = warped.Mask.GetBitMask("NO_DATA");
        var box = region ?? warped.BBox;
        if (!warped.BBox.Contains(box)) throw new ArgumentException($"{source}: region {box} is not inside the warped box {warped.BBox}");
        if (!dest.BBox.Contains(box)) throw new ArgumentException($"{source}: warped box {box} is not inside the warp {dest.BBox}");
        if (dest.Mask.Planes.Count != warped.Mask.Planes.Count || warped.Mask.Planes.Any(p => !dest.Mask.Planes.TryGetValue(p.Key, out int b) || b != p.Value))
            throw new ArgumentException($"{source}: its mask planes differ from the other detectors' of the visit");
        long good = 0;
        double varianceSum = 0;
        int wx = box.MinX - warped.BBox.MinX;
        for (int y = 0; y < box.Height; y++)
        {
            int wy = box.MinY - warped.BBox.MinY + y;
            Span<float> si = warped.Image.Pixels.GetRowSpan(wy).Slice(wx, box.Width), sv = warped.Variance.Pixels.GetRowSpan(wy).Slice(wx, box.Width);
            Span<int> sm = warped.Mask.Image.Pixels.GetRowSpan(wy).Slice(wx, box.Width);
            int dy = box.MinY - dest.BBox.MinY + y, dx = box.MinX - dest.BBox.MinX;
            Span<float> di = dest.Image.Pixels.GetRowSpan(dy)[dx..], dv = dest.Variance.Pixels.GetRowSpan(dy)[dx..];
            Span<int> dm = dest.Mask.Image.Pixels.GetRowSpan(dy)[dx..];
            for (int x = 0; x < si.Length; x++)
            {
                if ((sm[x] & noData) != 0) continue;
                (di[x], dv[x], dm[x]) = (si[x], sv[x], sm[x]);
                good++;
                varianceSum += sv[x];
            }
        }
        return (good, Weight(good, varianceSum));
    }

    /// <summary>The good (not NO_DATA) pixels of <paramref name="region"/> of <paramref name="image"/> and 1 / their mean
    /// variance, summed in the order of <see cref="CopyGoodPixels"/>.</summary>
    private static (long Good, double Weight) GoodPixelsAndWeight(MaskedImage image, Box2I region)
    {
        int noData = image.Mask.GetBitMask("NO_DATA");
        var mask = image.Mask.Image.View(region);
        var variance = image.Variance.View(region);
        long good = 0;
        double varianceSum = 0;
        for (int y = 0; y < mask.Height; y++)
        {
            Span<int> m = mask.GetRowSpan(y);
            Span<float> v = variance.GetRowSpan(y);
            for (int x = 0; x < m.Length; x++)
            {
                if ((m[x] & noData) != 0) continue;
                good++;
                varianceSum += v[x];
            }
        }
        return (good, Weight(good, varianceSum));
    }

    /// <summary>A detector's weight in its warp: 1 / the mean variance of its good pixels (0 without any).</summary>
    private static double Weight(long good, double varianceSum) => good > 0 && varianceSum > 0 ? good / varianceSum : 0;

    /// <summary>Pixels of <paramref name="region"/> of <paramref name="image"/> without NO_DATA.</summary>
    internal static long CountGood(MaskedImage image, Box2I region)
    {
        if (region.IsEmpty) return 0;
        int noData = image.Mask.GetBitMask("NO_DATA");
        long good = 0;
        var view = image.Mask.Image.View(region);
        for (int y = 0; y < view.Height; y++)
            foreach (int m in view.GetRowSpan(y))
                if ((m & noData) == 0) good++;
        return good;
    }

    private static bool IsPerDetectorOrStructural(string keyword) =>
        ExposureFits.IsPlaneStructureKeyword(keyword) || ExposureFits.IsCelestialWcsKeyword(keyword)
        || keyword is "DETNAME" or "DETECTOR" or "DETSIZE" or "CCDSLOT" or "RAFTBAY";
}
