using System.Globalization;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Warp;

/// <summary>One detector's part in a PSF-matched warp.</summary>
/// <param name="Visit">Its visit.</param>
/// <param name="Detector">Its name (as in the direct warp's <see cref="CoaddPsf"/>).</param>
/// <param name="SubBox">The part of the warp it was matched over (its valid region's box in warp pixels, within the
/// useful region grown by half the kernel), warp pixels.</param>
/// <param name="GoodPixels">Good matched pixels it copied in.</param>
/// <param name="Match">The kernel fit: candidates, residuals, the science PSF's FWHM range.</param>
public sealed record PsfMatchedWarpDetector(int Visit, string Detector, Box2I SubBox, long GoodPixels, ModelPsfMatchResult Match)
{
    /// <summary>True when the detector's PSF is wider than the model somewhere: it was matched as well as it can be (the
    /// kernel would have to deconvolve), and the output's header and the run's report say so.</summary>
    public bool ScienceWiderThanModel => Match.ScienceWiderThanModel;
}

/// <summary>A PSF-matched warp as written.</summary>
/// <param name="Detectors">The detectors matched, in the direct warp's PSF component order.</param>
/// <param name="GoodPixels">Good (not NO_DATA) pixels of the written warp inside the useful region; 0 when nothing was
/// written.</param>
/// <param name="ModelPsf">The model PSF every detector was matched to (the output's PSF).</param>
public sealed record PsfMatchedWarpResult(IReadOnlyList<PsfMatchedWarpDetector> Detectors, long GoodPixels, IPsf ModelPsf);

/// <summary>A direct warp that cannot be PSF-matched (it carries no <see cref="CoaddPsf"/>, so the PSF of its detectors
/// is unknown). The message names the file.</summary>
public sealed class PsfMatchedWarpException(string warp, string message) : IOException($"{warp}: {message}")
{
    /// <summary>The direct warp.</summary>
    public string Warp { get; } = warp;
}

/// <summary>
/// Rubin's makePsfMatchedWarp: a direct warp matched, detector by detector, to the model PSF
/// (<see cref="ModelPsfMatchConfig.ModelPsf"/>, a double Gaussian of FWHM 9 px), in the warped frame. For each component
/// of the direct warp's <see cref="CoaddPsf"/> (one per detector): the part of the warp inside the detector's valid
/// region (its edge mapped into warp pixels, 16 points a side) is copied out, with (0, NO_DATA, +inf) around it; the
/// kernel from the detector's <see cref="WarpedPsf"/> to the model is fitted over that box (<see cref="ModelPsfMatch"/>)
/// and applied (image with K, variance with K², mask ORed over the kernel); pixels outside the region are NO_DATA again,
/// and the good ones are copied into the output, which starts as (NaN, NO_DATA, +inf). The output keeps the direct
/// warp's grid (so a direct pixel and its PSF-matched pixel have one index, as the CompareWarp coadd reads them); only
/// the useful region (the patch's outer box) grown by half the kernel is matched, and the rest stays NO_DATA. Its PSF is
/// the model; its header adds the match settings and, per detector, the science PSF's largest FWHM, the fit's residual
/// and whether the science PSF was wider than the model (PMWIDnnn): such a detector is matched as well as it can be,
/// never dropped silently.
/// </summary>
public static class PsfMatchedWarp
{
    /// <summary>Points per side of a valid region's edge mapped into the warp.</summary>
    private const int EdgePoints = 16;

    /// <summary>Matches the direct warp at <paramref name="directWarpPath"/> and writes the result to
    /// <paramref name="outputPath"/> (temporary name, then rename). When no good pixel lands inside
    /// <paramref name="usefulRegion"/> (the whole grid by default) nothing is written and the result has no good pixels.</summary>
    /// <exception cref="PsfMatchedWarpException">The direct warp carries no <see cref="CoaddPsf"/>.</exception>
    /// <exception cref="FitsFormatException">The file is not an exposure.</exception>
    /// <exception cref="IOException">It could not be read or the output written; no output is left.</exception>
    /// <exception cref="ConfigException">A bad setting.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled; nothing is written.</exception>
    public static PsfMatchedWarpResult Run(string directWarpPath, string outputPath, ModelPsfMatchConfig config, int maxDegreeOfParallelism = 1,
                                           Box2I? usefulRegion = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(directWarpPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        using var warp = ExposureFits.Read(directWarpPath, cancel);
        var (matched, result) = Match(warp, directWarpPath, config, maxDegreeOfParallelism, usefulRegion, cancel);
        using (matched)
        {
            if (result.GoodPixels == 0) return result;
            var header = Header(warp.Metadata, result, config, outputPath);
            ExposureFits.Write(outputPath, new Exposure(matched, header, warp.Wcs) { Psf = result.ModelPsf }, cancel);
        }
        return result;
    }

    /// <summary>The PSF-matched image of <paramref name="warp"/> (same grid) and what each detector gave; the caller
    /// disposes the image. <paramref name="source"/> names the warp in messages.</summary>
    /// <exception cref="PsfMatchedWarpException">The warp carries no <see cref="CoaddPsf"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked per detector).</exception>
    public static (MaskedImage Matched, PsfMatchedWarpResult Result) Match(Exposure warp, string source, ModelPsfMatchConfig config, int maxDegreeOfParallelism = 1,
                                                                          Box2I? usefulRegion = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(warp);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (warp.Psf is not CoaddPsf coaddPsf)
            throw new PsfMatchedWarpException(source, warp.Psf is null
                ? "the direct warp has no PSF: its detectors were not characterized (warp calexps, not post-ISR exposures)"
                : $"the direct warp's PSF is a {warp.Psf.GetType().Name}, not the CoaddPsf of its detectors");
        var image = warp.MaskedImage;
        var grid = image.BBox;
        var useful = (usefulRegion ?? grid).Intersect(grid);
        int half = config.KernelSize / 2;
        var output = Warper.NoDataImage(grid, image.Mask.Planes);
        var detectors = new List<PsfMatchedWarpDetector>();
        // Each detector's part of the warp, and one cutout and one convolved image over all of them (reused detector by
        // detector: only a detector's sub-box is read and written).
        var subBoxes = new Box2I[coaddPsf.Components.Count];
        Box2I all = default;
        for (int i = 0; i < subBoxes.Length; i++)
        {
            subBoxes[i] = useful.IsEmpty ? default : coaddPsf.GetCoaddBox(i).Intersect(grid).Intersect(useful.Grow(half));
            if (!subBoxes[i].IsEmpty) all = all.IsEmpty ? subBoxes[i] : Box2I.FromCorners(Math.Min(all.MinX, subBoxes[i].MinX), Math.Min(all.MinY, subBoxes[i].MinY),
                                                                          Math.Max(all.MaxX, subBoxes[i].MaxX), Math.Max(all.MaxY, subBoxes[i].MaxY));
        }
        MaskedImage? cutout = null, convolved = null;
        try
        {
            int noData = image.Mask.GetBitMask("NO_DATA");
            if (!all.IsEmpty)
            {
                // Not cleared: every pixel of a sub-box is written (CopyInside, the convolution) before it is read.
                cutout = MaskedImage.Uncleared(all);
                convolved = MaskedImage.Uncleared(all);
                foreach (var target in new[] { cutout, convolved })
                {
                    target.Mask.ClearPlanes();
                    foreach (var (name, bit) in image.Mask.Planes) target.Mask.SetPlane(name, bit);
                }
            }
            for (int i = 0; i < coaddPsf.Components.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var component = coaddPsf.Components[i];
                var warped = coaddPsf.GetWarpedPsf(i);
                var subBox = subBoxes[i];
                if (subBox.IsEmpty) continue;
                var polygon = ValidPolygon(warped, component.ValidRegion);
                var extents = CopyInside(image, cutout!, subBox, polygon, noData);
                var match = ModelPsfMatch.Solve(subBox, new InsideRegionPsf(warped), config, maxDegreeOfParallelism, cancel);
                // Tiles with no pixel inside the valid region are not convolved: every output there is NO_DATA below.
                match.Kernel.ConvolveTiles(cutout!, subBox, convolved!, maxDegreeOfParallelism, tile => Overlaps(extents, subBox, tile), cancel);
                MarkOutside(convolved!, subBox, polygon, noData);
                var (good, _) = DirectWarp.CopyGoodPixels(convolved!, output, $"{source} detector {component.Detector}", subBox);
                detectors.Add(new PsfMatchedWarpDetector(component.Visit, component.Detector, subBox, good, match));
            }
            long total = DirectWarp.CountGood(output, useful);
            return (output, new PsfMatchedWarpResult(detectors, total, config.ModelPsf.Apply()));
        }
        catch
        {
            output.Dispose();
            throw;
        }
        finally
        {
            cutout?.Dispose();
            convolved?.Dispose();
        }
    }

    /// <summary>A detector's PSF in the warp, taken at the nearest point of the detector's valid region for a point outside
    /// it: the kernel fit draws candidates from cells up to 128 px beyond the detector, where a fitted PSF model (a
    /// polynomial in position) would be extrapolated into kernels that are no PSF.</summary>
    private sealed class InsideRegionPsf(WarpedPsf warped) : IPsf
    {
        public int KernelSize => warped.KernelSize;

        public void ComputeKernelImage(double x, double y, CommunityToolkit.HighPerformance.Span2D<float> destination)
        {
            var (px, py) = Inside(x, y);
            warped.ComputeKernelImage(px, py, destination);
        }

        public PsfMoments ComputeMoments(double x, double y)
        {
            var (px, py) = Inside(x, y);
            return warped.ComputeMoments(px, py);
        }

        public double ComputeFwhm(double x, double y)
        {
            var (px, py) = Inside(x, y);
            return warped.ComputeFwhm(px, py);
        }

        private (double X, double Y) Inside(double x, double y)
        {
            var (sx, sy) = warped.ToSource(x, y);
            var r = warped.SourceRegion;
            double cx = Math.Clamp(sx, r.MinX, r.MaxX), cy = Math.Clamp(sy, r.MinY, r.MaxY);
            return cx == sx && cy == sy ? (x, y) : warped.ToDestination(cx, cy);
        }
    }

    /// <summary>The edge of <paramref name="region"/> (detector pixels, pixel centres at the box's extremes) mapped into the
    /// warp: <see cref="EdgePoints"/> points a side, anticlockwise.</summary>
    private static (double X, double Y)[] ValidPolygon(WarpedPsf warped, Box2I region)
    {
        var points = new (double X, double Y)[4 * EdgePoints];
        double x0 = region.MinX - 0.5, y0 = region.MinY - 0.5, x1 = region.MaxX + 0.5, y1 = region.MaxY + 0.5;
        for (int k = 0; k < EdgePoints; k++)
        {
            double t = (double)k / EdgePoints;
            points[k] = warped.ToDestination(x0 + t * (x1 - x0), y0);
            points[EdgePoints + k] = warped.ToDestination(x1, y0 + t * (y1 - y0));
            points[2 * EdgePoints + k] = warped.ToDestination(x1 - t * (x1 - x0), y1);
            points[3 * EdgePoints + k] = warped.ToDestination(x0, y1 - t * (y1 - y0));
        }
        return points;
    }

    /// <summary>The columns of row <paramref name="y"/> inside <paramref name="polygon"/> (pixel centres, even-odd rule),
    /// as [start, end) pairs in increasing order, clipped to [<paramref name="minX"/>, <paramref name="maxX"/>].</summary>
    private static void RowSpans((double X, double Y)[] polygon, double y, int minX, int maxX, List<(int Start, int End)> spans, List<double> crossings)
    {
        spans.Clear();
        crossings.Clear();
        for (int k = 0; k < polygon.Length; k++)
        {
            var (ax, ay) = polygon[k];
            var (bx, by) = polygon[(k + 1) % polygon.Length];
            if ((ay <= y) == (by <= y)) continue;
            crossings.Add(ax + (y - ay) / (by - ay) * (bx - ax));
        }
        crossings.Sort();
        for (int k = 0; k + 1 < crossings.Count; k += 2)
        {
            int start = Math.Max(minX, (int)Math.Ceiling(crossings[k])), end = Math.Min(maxX + 1, (int)Math.Floor(crossings[k + 1]) + 1);
            if (end > start) spans.Add((start, end));
        }
    }

    /// <summary>Whether any row of <paramref name="tile"/> has pixels inside the polygon whose per-row extents
    /// (<see cref="CopyInside"/>'s, rows of <paramref name="box"/>) are given.</summary>
    private static bool Overlaps((int Start, int End)[] extents, Box2I box, Box2I tile)
    {
        for (int y = tile.MinY; y <= tile.MaxY; y++)
        {
            var (start, end) = extents[y - box.MinY];
            if (start < end && start <= tile.MaxX && end > tile.MinX) return true;
        }
        return false;
    }

    /// <summary>Copies the pixels of <paramref name="box"/> (inside <paramref name="from"/>'s and
    /// <paramref name="cutout"/>'s boxes) inside <paramref name="polygon"/> from <paramref name="from"/> into
    /// <paramref name="cutout"/>; the others of the box become (0, NO_DATA, +inf). Returns, per row of the box, the
    /// columns [start, end) spanned by its pixels inside (start = end: none).</summary>
    private static (int Start, int End)[] CopyInside(MaskedImage from, MaskedImage cutout, Box2I box, (double X, double Y)[] polygon, int noData)
    {
        var extents = new (int Start, int End)[box.Height];
        var spans = new List<(int Start, int End)>();
        var crossings = new List<double>();
        int cy0 = box.MinY - cutout.BBox.MinY, cx0 = box.MinX - cutout.BBox.MinX;
        for (int y = 0; y < box.Height; y++)
        {
            Span<float> ci = cutout.Image.Pixels.GetRowSpan(cy0 + y).Slice(cx0, box.Width), cv = cutout.Variance.Pixels.GetRowSpan(cy0 + y).Slice(cx0, box.Width);
            Span<int> cm = cutout.Mask.Image.Pixels.GetRowSpan(cy0 + y).Slice(cx0, box.Width);
            ci.Clear();
            cv.Fill(float.PositiveInfinity);
            cm.Fill(noData);
            int fy = box.MinY - from.BBox.MinY + y;
            RowSpans(polygon, box.MinY + y, box.MinX, box.MaxX, spans, crossings);
            extents[y] = spans.Count == 0 ? (0, 0) : (spans[0].Start, spans[^1].End);
            foreach (var (start, end) in spans)
            {
                int n = end - start, fx = start - from.BBox.MinX, cx = start - box.MinX;
                from.Image.Pixels.GetRowSpan(fy).Slice(fx, n).CopyTo(ci.Slice(cx, n));
                from.Variance.Pixels.GetRowSpan(fy).Slice(fx, n).CopyTo(cv.Slice(cx, n));
                from.Mask.Image.Pixels.GetRowSpan(fy).Slice(fx, n).CopyTo(cm.Slice(cx, n));
            }
        }
        return extents;
    }

    /// <summary>Sets NO_DATA on every pixel of <paramref name="box"/> (inside <paramref name="image"/>'s) outside
    /// <paramref name="polygon"/>.</summary>
    private static void MarkOutside(MaskedImage image, Box2I box, (double X, double Y)[] polygon, int noData)
    {
        var spans = new List<(int Start, int End)>();
        var crossings = new List<double>();
        int my0 = box.MinY - image.BBox.MinY, mx0 = box.MinX - image.BBox.MinX;
        for (int y = 0; y < box.Height; y++)
        {
            Span<int> m = image.Mask.Image.Pixels.GetRowSpan(my0 + y).Slice(mx0, box.Width);
            RowSpans(polygon, box.MinY + y, box.MinX, box.MaxX, spans, crossings);
            int x = box.MinX;
            foreach (var (start, end) in spans)
            {
                for (; x < start; x++) m[x - box.MinX] |= noData;
                x = end;
            }
            for (; x <= box.MaxX; x++) m[x - box.MinX] |= noData;
        }
    }

    /// <summary>The direct warp's metadata plus the match settings and, per detector, its figures.</summary>
    private static FitsHeader Header(FitsHeader direct, PsfMatchedWarpResult result, ModelPsfMatchConfig config, string source)
    {
        var header = new FitsHeader(source, 0);
        foreach (var card in direct)
            if (card.Kind == FitsValueKind.Commentary || !ExposureFits.IsPlaneStructureKeyword(card.Keyword)) header.Add(card);
        double modelFwhm = result.ModelPsf.ComputeFwhm(0, 0);
        header.Set("PMFWHM", modelFwhm, "model PSF FWHM, pixels (double Gaussian)");
        header.Set("PMKSIZE", (long)config.KernelSize, "PSF-matching kernel size, pixels");
        header.Set("PMNDET", (long)result.Detectors.Count, "detectors matched");
        header.Set("PMNWIDE", (long)result.Detectors.Count(d => d.ScienceWiderThanModel), "of them with a PSF wider than the model");
        for (int k = 0; k < result.Detectors.Count; k++)
        {
            var d = result.Detectors[k];
            header.Set($"PMDET{k:D3}", d.Detector, "matched detector");
            if (double.IsFinite(d.Match.MaxScienceFwhm)) header.Set($"PMSFW{k:D3}", d.Match.MaxScienceFwhm, "its largest science PSF FWHM, pixels");
            header.Set($"PMRES{k:D3}", d.Match.MaxCandidateResidualRms / d.Match.ModelPeak,
                       "largest candidate residual RMS / model peak");
            header.Set($"PMWID{k:D3}", d.ScienceWiderThanModel, "PSF wider than the model: matched as well as it can be");
        }
        header.AddCommentary("HISTORY", string.Create(CultureInfo.InvariantCulture,
            $"ImageCore PSF-matched warp: Alard-Lupton, kernel {config.KernelSize}, order {config.SpatialOrder}"));
        return header;
    }
}
