using System.Numerics.Tensors;
using ImageCore.Characterize;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Memory;
using ImageCore.Psf;

namespace ImageCore.Coadd;

/// <summary>One visit's warps for a CompareWarp coadd: its direct warp and its PSF-matched warp, on one grid.</summary>
/// <param name="DirectWarp">Path of the direct warp (what the coadd averages).</param>
/// <param name="PsfMatchedWarp">Path of the PSF-matched warp (what finds the artifacts); its <c>PSF</c> extension gives
/// the PSF width.</param>
public sealed record CompareWarpInput(string DirectWarp, string PsfMatchedWarp);

/// <summary>What CompareWarp found in one visit.</summary>
/// <param name="DirectWarp">The direct warp's name.</param>
/// <param name="PsfMatchedWarp">The PSF-matched warp's name.</param>
/// <param name="PsfSigma">The PSF sigma used to grow its candidates, pixels.</param>
/// <param name="Candidates">Footprints on its difference with the static sky model (both signs, merged, after the
/// good-pixel prefilter).</param>
/// <param name="Artifacts">Candidates kept as artifacts (transient in enough pixels, not inside a bright template source).</param>
/// <param name="Spared">Transient candidates spared because a template footprint contains them.</param>
/// <param name="ArtifactPixels">Pixels marked CLIPPED in its direct warp (rejected from the coadd).</param>
/// <param name="NoDataPixels">Pixels marked NO_DATA in its direct warp because the PSF-matched difference was NaN there.</param>
/// <param name="EdgePixels">EDGE pixels of its PSF-matched warp (SENSOR_EDGE and INEXACT_PSF in the coadd).</param>
public sealed record VisitArtifacts(string DirectWarp, string PsfMatchedWarp, double PsfSigma, int Candidates, int Artifacts, int Spared,
                                    long ArtifactPixels, long NoDataPixels, long EdgePixels);

/// <summary>What a CompareWarp coadd used and found.</summary>
/// <param name="Used">The direct warps and their weights in the final mean (as <see cref="CoaddTask"/> reports them).</param>
/// <param name="StaticSkyModel">The PSF-matched warps and their weights in the static sky model.</param>
/// <param name="Visits">Per visit, in input order: candidates and artifacts.</param>
/// <param name="TemplateFootprints">Footprints found on the static sky model (the sources whose insides are spared).</param>
public sealed record CompareWarpResult(CoaddInputs Used, CoaddInputs StaticSkyModel, IReadOnlyList<VisitArtifacts> Visits, int TemplateFootprints);

/// <summary>
/// Rubin's CompareWarp coadd (drp_tasks' CompareWarpAssembleCoaddTask): artifacts (satellite trails, asteroids, other
/// transients) are found by comparing each visit's PSF-matched warp with a static sky model and masked in that visit's
/// direct warp, which are then averaged.
/// <list type="number">
/// <item>Static sky model: a clipped mean of the PSF-matched warps (<see cref="CompareWarpConfig.StaticSkyModel"/>).</item>
/// <item>Per PSF-matched warp, one at a time: difference = warp - model, variance = warp variance + model variance;
/// footprints of both signs at <see cref="CompareWarpConfig.DetectionThreshold"/> sigma per pixel (no smoothing), at
/// least <see cref="CompareWarpConfig.DetectionMinPixels"/> px, grown by <see cref="CompareWarpConfig.GrowSigmas"/> PSF
/// sigma, the two signs merged where they touch; candidates with no more than
/// <see cref="CompareWarpConfig.PrefilterGoodFraction"/> good pixels are dropped. The epoch count (candidates covering
/// a pixel) and nImage (visits with a finite, not bad difference there) accumulate.</item>
/// <item>A candidate is an artifact when more than <see cref="CompareWarpConfig.SpatialThreshold"/> of its pixels have
/// an epoch count in 1..int(min(Low N, MaxNumEpochs + High N)), N its mean nImage; one wholly inside a footprint of the
/// model detected at <see cref="CompareWarpConfig.TemplateDetectionThreshold"/> is spared.</item>
/// <item>Each direct warp, as the coadd reads it (in memory, never on disk): EDGE cleared, NO_DATA (other bad planes
/// cleared) where its PSF-matched difference is NaN, CLIPPED on its artifacts.</item>
/// <item>The coadd: a weighted MEAN of the direct warps (<see cref="CompareWarpConfig.Coadd"/>, EDGE out of and CLIPPED
/// into its bad planes; weights 1 / clipped mean of each changed warp's variance), then SENSOR_EDGE and INEXACT_PSF
/// where any PSF-matched warp had EDGE.</item>
/// </list>
/// Memory: the model (12 bytes a pixel), one difference at a time (12) with its detection planes (8), and the two
/// counts (4) are held whole; the warps are read one at a time (step 2) or in row bands (steps 1 and 5), and each
/// visit's masks are kept as row runs. Not done: the streak filter (<c>doFilterMorphological</c>) and the rescaling of
/// the warps' variance (<c>doScaleWarpVariance</c>).
/// </summary>
public static class CompareWarpCoadd
{
    /// <summary>Assembles the CompareWarp coadd of <paramref name="inputs"/> and writes it to <paramref name="outputPath"/>
    /// as <see cref="CoaddTask"/> writes a coadd (temporary name, then rename; only <paramref name="region"/> of the
    /// grid when given, its WCS moved), with <c>COADDSTA = 'COMPAREWARP'</c>, INPUTnnn / WEIGHTnnn (direct warps),
    /// PSFINnnn (PSF-matched warps) and NARTnnn (pixels rejected as artifacts) per visit.</summary>
    /// <exception cref="CoaddInputException">A warp is missing or unreadable, off the first one's grid, or a PSF-matched
    /// warp has no variance plane (the message names the file).</exception>
    /// <exception cref="ArgumentException">No inputs, an invalid configuration (<see cref="ConfigException"/> names the
    /// setting), a region outside the grid, or every warp skipped.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled; nothing is written.</exception>
    public static CompareWarpResult Run(IReadOnlyList<CompareWarpInput> inputs, string outputPath, CompareWarpConfig config, int maxDegreeOfParallelism = 1,
                                        Box2I? region = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        config.Validate();
        if (inputs.Count == 0) throw new ArgumentException("a CompareWarp coadd needs at least one visit");
        var direct = new List<CoaddInput>();
        var matched = new List<CoaddInput>();
        try
        {
            foreach (var input in inputs)
            {
                ArgumentNullException.ThrowIfNull(input);
                direct.Add(CoaddInput.Open(input.DirectWarp));
                matched.Add(CoaddInput.Open(input.PsfMatchedWarp));
            }
            CoaddTask.CheckRegion(direct[0], region);
            var (coadd, result) = Assemble(direct, matched, config, maxDegreeOfParallelism, cancel);
            using (coadd)
            {
                var header = CoaddTask.Metadata(direct, result.Used, config.Coadd, outputPath);
                header.Set("COADDSTA", "COMPAREWARP", "coadd statistic");
                for (int k = 0; k < result.Visits.Count; k++)
                {
                    header.Set($"PSFIN{k:D3}", Path.GetFileName(matched[k].Name), "its PSF-matched warp");
                    header.Set($"NART{k:D3}", result.Visits[k].ArtifactPixels, "its pixels rejected as artifacts");
                }
                CoaddTask.Write(coadd, header, CoaddTask.CombinedPsf(direct, result.Used), region, outputPath, cancel);
            }
            return result;
        }
        finally
        {
            foreach (var d in direct) d.Dispose();
            foreach (var m in matched) m.Dispose();
        }
    }

    /// <summary>The CompareWarp coadd of opened warps (<paramref name="directWarps"/>[k] and
    /// <paramref name="psfMatchedWarps"/>[k] are visit k's), on the warps' grid (xy0 0); see the type's summary. The
    /// direct warps' changed masks live only for the call.</summary>
    /// <exception cref="CoaddInputException">A warp off the first one's grid, a PSF-matched warp without variance, or a read failed.</exception>
    /// <exception cref="ArgumentException">No warps, lists of different lengths, an invalid configuration, or every warp skipped.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static (MaskedImage Coadd, CompareWarpResult Result) Assemble(IReadOnlyList<CoaddInput> directWarps, IReadOnlyList<CoaddInput> psfMatchedWarps,
                                                                         CompareWarpConfig config, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(directWarps);
        ArgumentNullException.ThrowIfNull(psfMatchedWarps);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        int n = directWarps.Count;
        if (n == 0) throw new ArgumentException("a CompareWarp coadd needs at least one visit");
        if (psfMatchedWarps.Count != n) throw new ArgumentException($"{n} direct warps but {psfMatchedWarps.Count} PSF-matched warps: one of each per visit");
        Coadder.CheckSameGrid(directWarps);
        Coadder.CheckSameGrid(psfMatchedWarps);
        for (int k = 0; k < n; k++) CheckPair(directWarps[k], psfMatchedWarps[k]);

        var (model, modelUsed) = Coadder.Assemble(psfMatchedWarps, config.StaticSkyModel, maxDegreeOfParallelism, cancel);
        ArtifactSearch search;
        using (model)
        {
            search = ArtifactSearch.Run(model, psfMatchedWarps, config, maxDegreeOfParallelism, cancel);
        }

        var final = config.Coadd with { BadMaskPlanes = [.. config.Coadd.BadMaskPlanes.Where(p => p != "EDGE").Append("CLIPPED").Distinct()] };
        var planes = directWarps[0].MaskPlanes;
        int clipped = CoaddBit(planes, "CLIPPED");
        int noData = 1 << planes["NO_DATA"];
        int clearInNoData = Mask.DefinedBits(planes, config.Coadd.BadMaskPlanes.Where(p => p != "EDGE"));
        int strip = Mask.DefinedBits(planes, ["EDGE"]);
        try
        {
            for (int k = 0; k < n; k++)
                directWarps[k].AltMask = new VisitAltMask(search.NoData[k], search.Artifacts[k], noData, clipped, clearInNoData, strip);
            var (coadd, used) = Coadder.Assemble(directWarps, final, maxDegreeOfParallelism, cancel);
            MarkSensorEdges(coadd.Mask, search.Edges);
            var visits = new VisitArtifacts[n];
            for (int k = 0; k < n; k++)
                visits[k] = new VisitArtifacts(directWarps[k].Name, psfMatchedWarps[k].Name, search.PsfSigma[k], search.Candidates[k], search.ArtifactCount[k],
                                               search.Spared[k], search.Artifacts[k].Area, search.NoData[k].Area, search.Edges[k].Area);
            return (coadd, new CompareWarpResult(used, modelUsed, visits, search.TemplateFootprints));
        }
        finally
        {
            foreach (var d in directWarps) d.AltMask = null;
        }
    }

    /// <summary>Refuses a PSF-matched warp off its direct warp's grid, or without variance.</summary>
    private static void CheckPair(CoaddInput direct, CoaddInput matched)
    {
        if (matched.BBox != direct.BBox)
            throw new CoaddInputException(matched.Name, $"covers {matched.BBox} but its direct warp {direct.Name} covers {direct.BBox}: a visit's two warps must share one grid");
        if (!matched.HasVariance)
            throw new CoaddInputException(matched.Name, "has no VARIANCE plane: CompareWarp needs the PSF-matched warp's variance to find artifacts");
        if (direct.Wcs is not null && matched.Wcs is not null)
        {
            double apart = direct.Wcs.MaxPixelDifference(matched.Wcs, direct.BBox);
            if (!(apart <= Astrometry.SkyWcs.AgreementTolerance))
                throw new CoaddInputException(matched.Name, $"its WCS puts {direct.Name}'s pixels up to {apart:G3} pixels away: a visit's two warps must share one grid");
        }
        else if (direct.Wcs is not null || matched.Wcs is not null)
            throw new CoaddInputException(direct.Wcs is null ? direct.Name : matched.Name, "has no celestial WCS but its visit's other warp has one");
    }

    /// <summary>The bit value a plane gets in a coadd of warps with <paramref name="planes"/> (the coadd adds its planes
    /// at the lowest free bits, <see cref="Coadder.CoaddMaskPlanes"/> in order).</summary>
    private static int CoaddBit(IReadOnlyDictionary<string, int> planes, string plane)
    {
        using var probe = new Mask(1, 1);
        probe.ClearPlanes();
        foreach (var (name, bit) in planes) probe.SetPlane(name, bit);
        foreach (string p in Coadder.CoaddMaskPlanes) probe.AddPlane(p);
        return probe.GetBitMask(plane);
    }

    /// <summary>SENSOR_EDGE and INEXACT_PSF on every pixel that any PSF-matched warp marked EDGE.</summary>
    private static void MarkSensorEdges(Mask mask, IReadOnlyList<RowSpans> edges)
    {
        int bits = mask.GetBitMask("SENSOR_EDGE", "INEXACT_PSF");
        var plane = mask.Image.Plane;
        foreach (var visit in edges)
            foreach (var s in visit.All)
                plane.GetRowSpan(s.Y)[s.X0..(s.X1 + 1)].BitwiseOr(bits);
    }

    private static void BitwiseOr(this Span<int> span, int bits) => TensorPrimitives.BitwiseOr(span, bits, span);

    /// <summary>Steps 2 and 3: the candidates of every PSF-matched warp, the epoch counts, and the artifacts kept.</summary>
    private sealed class ArtifactSearch
    {
        public required RowSpans[] NoData, Artifacts, Edges;
        public required int[] Candidates, ArtifactCount, Spared;
        public required double[] PsfSigma;
        public required int TemplateFootprints;

        public static ArtifactSearch Run(MaskedImage model, IReadOnlyList<CoaddInput> warps, CompareWarpConfig config, int threads, CancellationToken cancel)
        {
            int n = warps.Count, w = model.BBox.Width, h = model.BBox.Height;
            var sigma = warps.Select(wp => SigmaOf(wp, config)).ToArray();
            var planes = warps[0].MaskPlanes;
            // nImage counts the visits whose difference is finite and not bad, bad being the final coadd's planes.
            int bad = Mask.DefinedBits(planes, config.Coadd.BadMaskPlanes.Where(p => p != "EDGE"));
            int prefilter = Mask.DefinedBits(planes, config.PrefilterMaskPlanes);
            int edge = Mask.DefinedBits(planes, ["EDGE"]);

            var template = config.PreserveContainedBySource ? DetectTemplate(model, sigma.Max(), config, threads, cancel) : [];
            var detect = new DetectionConfig
            {
                Threshold = config.DetectionThreshold,
                MinPixels = config.DetectionMinPixels,
                GrowSigmas = config.GrowSigmas,
                IncludeNegative = true,
                Smooth = false,
            };
            var result = new ArtifactSearch
            {
                NoData = new RowSpans[n], Artifacts = new RowSpans[n], Edges = new RowSpans[n],
                Candidates = new int[n], ArtifactCount = new int[n], Spared = new int[n], PsfSigma = sigma, TemplateFootprints = template.Count,
            };
            var candidates = new List<FootprintSpan[]>[n];
            using var epochCount = new Plane<ushort>(w, h, clear: true);
            using var nImage = new Plane<ushort>(w, h, clear: true);
            using var diff = new MaskedImage(w, h);
            diff.Mask.ClearPlanes();
            foreach (var (name, bit) in planes) diff.Mask.SetPlane(name, bit);
            foreach (string p in (string[])["DETECTED", "DETECTED_NEGATIVE", "EDGE", "NO_DATA", "BAD"]) diff.Mask.AddPlane(p);
            int noDataBit = diff.Mask.GetPlane("NO_DATA");
            var noDataRuns = new List<FootprintSpan>();
            var edgeRuns = new List<FootprintSpan>();
            for (int k = 0; k < n; k++)
            {
                cancel.ThrowIfCancellationRequested();
                warps[k].ReadRows(0, diff.Image.Pixels, diff.Mask.Image.Pixels, diff.Variance.Pixels, noDataBit);
                noDataRuns.Clear();
                edgeRuns.Clear();
                for (int y = 0; y < h; y++)
                {
                    Span<float> x = diff.Image.Plane.GetRowSpan(y), v = diff.Variance.Plane.GetRowSpan(y);
                    Span<int> m = diff.Mask.Image.Plane.GetRowSpan(y);
                    TensorPrimitives.Subtract(x, model.Image.Plane.GetRowSpan(y), x);
                    TensorPrimitives.Add(v, model.Variance.Plane.GetRowSpan(y), v);
                    var count = nImage.GetRowSpan(y);
                    for (int i = 0; i < x.Length; i++)
                        if (float.IsFinite(x[i]) && (m[i] & bad) == 0) count[i]++;
                    Runs(x, m, y, edge, noDataRuns, edgeRuns);
                }
                result.NoData[k] = new RowSpans(noDataRuns, h);
                result.Edges[k] = new RowSpans(edgeRuns, h);

                var found = SourceDetection.Detect(diff, sigma[k], detect, threads, cancel);
                var kept = new List<FootprintSpan[]>();
                foreach (var candidate in Merge(found))
                    if (GoodFraction(candidate, diff.Mask, prefilter) > config.PrefilterGoodFraction)
                    {
                        kept.Add(candidate);
                        foreach (var s in candidate)
                        {
                            var row = epochCount.GetRowSpan(s.Y);
                            for (int x = s.X0; x <= s.X1; x++)
                                if (row[x] < ushort.MaxValue) row[x]++;
                        }
                    }
                candidates[k] = kept;
                result.Candidates[k] = kept.Count;
            }

            var artifactRuns = new List<FootprintSpan>();
            for (int k = 0; k < n; k++)
            {
                artifactRuns.Clear();
                foreach (var candidate in candidates[k])
                {
                    if (!IsTransient(candidate, epochCount, nImage, config)) continue;
                    if (template.Any(f => Contains(f, candidate)))
                    {
                        result.Spared[k]++;
                        continue;
                    }
                    result.ArtifactCount[k]++;
                    artifactRuns.AddRange(candidate);
                }
                result.Artifacts[k] = new RowSpans(artifactRuns, h);
            }
            return result;
        }

        /// <summary>The NaN runs (NO_DATA for the direct warp) and EDGE runs of one difference row.</summary>
        private static void Runs(ReadOnlySpan<float> x, ReadOnlySpan<int> m, int y, int edge, List<FootprintSpan> noData, List<FootprintSpan> edges)
        {
            for (int i = 0; i < x.Length; i++)
            {
                if (!float.IsNaN(x[i])) continue;
                int start = i;
                while (i + 1 < x.Length && float.IsNaN(x[i + 1])) i++;
                noData.Add(new FootprintSpan(y, start, i));
            }
            if (edge == 0) return;
            for (int i = 0; i < m.Length; i++)
            {
                if ((m[i] & edge) == 0) continue;
                int start = i;
                while (i + 1 < m.Length && (m[i + 1] & edge) != 0) i++;
                edges.Add(new FootprintSpan(y, start, i));
            }
        }

        /// <summary>The positive and negative footprints, those that overlap or touch merged (afw's FootprintSet.merge),
        /// each as runs sorted by row then column.</summary>
        private static FootprintSpan[][] Merge(DetectionResult found)
        {
            var all = new List<FootprintSpan>();
            foreach (var f in found.Footprints) all.AddRange(f.Spans);
            foreach (var f in found.NegativeFootprints) all.AddRange(f.Spans);
            if (all.Count == 0) return [];
            var runs = FootprintSets.MergeRows(all);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(runs);
            int[] label = FootprintSets.Label(span, out int count);
            return FootprintSets.Group(span, label, count);
        }

        /// <summary>The fraction of a candidate's pixels without any of <paramref name="badBits"/>.</summary>
        private static double GoodFraction(FootprintSpan[] candidate, Mask mask, int badBits)
        {
            long good = 0, area = 0;
            foreach (var s in candidate)
            {
                var row = mask.Image.Plane.GetRowSpan(s.Y);
                for (int x = s.X0; x <= s.X1; x++)
                    if ((row[x] & badBits) == 0) good++;
                area += s.Length;
            }
            return (double)good / area;
        }

        /// <summary>Step 3's temporal test: more than SpatialThreshold of the pixels were candidates in 1..M epochs,
        /// M = int(min(Low N, MaxNumEpochs + High N)), N the mean nImage over the candidate.</summary>
        private static bool IsTransient(FootprintSpan[] candidate, Plane<ushort> epochCount, Plane<ushort> nImage, CompareWarpConfig config)
        {
            long area = 0, sumN = 0;
            foreach (var s in candidate)
            {
                var total = nImage.GetRowSpan(s.Y);
                for (int x = s.X0; x <= s.X1; x++) sumN += total[x];
                area += s.Length;
            }
            double meanN = (double)sumN / area;
            int maxEpochs = (int)Math.Min(config.MaxFractionEpochsLow * meanN, config.MaxNumEpochs + config.MaxFractionEpochsHigh * meanN);
            long below = 0;
            foreach (var s in candidate)
            {
                var count = epochCount.GetRowSpan(s.Y);
                for (int x = s.X0; x <= s.X1; x++)
                    if (count[x] > 0 && count[x] <= maxEpochs) below++;
            }
            return (double)below / area > config.SpatialThreshold;
        }

        /// <summary>True when every pixel of <paramref name="candidate"/> is in <paramref name="footprint"/> (whose runs are
        /// sorted and disjoint).</summary>
        private static bool Contains(Footprint footprint, FootprintSpan[] candidate)
        {
            var box = footprint.BBox;
            foreach (var s in candidate)
                if (s.Y < box.MinY || s.Y > box.MaxY || s.X0 < box.MinX || s.X1 > box.MaxX) return false;
            var runs = footprint.Spans;
            foreach (var s in candidate)
            {
                int lo = 0, hi = runs.Count - 1, at = -1;   // the last run with (Y, X0) <= (s.Y, s.X0)
                while (lo <= hi)
                {
                    int mid = (lo + hi) >>> 1;
                    if (runs[mid].Y < s.Y || (runs[mid].Y == s.Y && runs[mid].X0 <= s.X0)) { at = mid; lo = mid + 1; }
                    else hi = mid - 1;
                }
                if (at < 0 || runs[at].Y != s.Y || runs[at].X1 < s.X1) return false;
            }
            return true;
        }

        /// <summary>The PSF's sigma (determinant radius at the warp's centre), or that of <see cref="CompareWarpConfig.PsfFwhmWhenAbsent"/>.</summary>
        private static double SigmaOf(CoaddInput warp, CompareWarpConfig config)
        {
            var psf = warp.ReadPsf();
            if (psf is null) return config.PsfFwhmWhenAbsent / PsfMoments.FwhmPerSigma;
            var box = warp.BBox;
            double sigma = psf.ComputeMoments(box.MinX + (box.Width - 1) / 2.0, box.MinY + (box.Height - 1) / 2.0).DeterminantRadius;
            if (!(sigma > 0) || !double.IsFinite(sigma)) throw new CoaddInputException(warp.Name, $"its PSF has a sigma of {sigma} pixels");
            return sigma;
        }

        /// <summary>The model's bright sources (positive, smoothed with the PSF, at TemplateDetectionThreshold), found on a
        /// scratch mask so that the model's own mask is left alone.</summary>
        private static IReadOnlyList<Footprint> DetectTemplate(MaskedImage model, double psfSigma, CompareWarpConfig config, int threads, CancellationToken cancel)
        {
            using var scratch = new Mask(model.BBox.Width, model.BBox.Height);
            var view = new MaskedImage(model.Image, scratch, model.Variance);   // borrows the model's planes: not disposed
            var found = SourceDetection.Detect(view, psfSigma, new DetectionConfig
            {
                Threshold = config.TemplateDetectionThreshold,
                GrowSigmas = config.TemplateGrowSigmas,
            }, threads, cancel);
            return found.Footprints;
        }
    }
}
