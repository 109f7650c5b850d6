using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Characterize;

/// <summary>
/// Chooses PSF stars among the detections of a background-subtracted exposure (meas_algorithms' objectSizeStarSelector
/// with measurePsf's candidate cuts; <see cref="PsfStarSelectorConfig"/>): single-peak footprints without bad mask
/// planes, measured by adaptive moments from the peak, bright enough, of a plausible size and round; the stellar locus
/// found by k-means over their widths; then stamps of the kernel size plus a border that lie inside the image, are clean
/// and hold no other footprint; the brightest <see cref="PsfStarSelectorConfig.MaxCandidates"/> kept.
/// </summary>
public static class PsfStarSelector
{
    /// <summary>Selects PSF stars from <paramref name="footprints"/> of <paramref name="exposure"/>.</summary>
    /// <param name="exposure">Background-subtracted, with variance; its mask is read, nothing is written.</param>
    /// <param name="footprints">Detections in parent coordinates.</param>
    /// <param name="config">Checked here.</param>
    /// <param name="initialSigma">Starting width of the adaptive moments, pixels; null for the exposure's PSF at the
    /// image centre if it has one, else <see cref="PsfStarSelectorConfig.InitialSigma"/>.</param>
    /// <param name="cancel">Checked every 256 footprints.</param>
    /// <returns>The candidates (possibly none) and the count each cut removed.</returns>
    /// <exception cref="ConfigException">A configuration value out of range.</exception>
    public static PsfStarSelection Select(Exposure exposure, IReadOnlyList<Footprint> footprints, PsfStarSelectorConfig config,
                                          double? initialSigma = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        ArgumentNullException.ThrowIfNull(footprints);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var box = exposure.BBox;
        double sigma0 = initialSigma ?? (exposure.Psf is { } psf
            ? psf.ComputeMoments(box.MinX + (box.Width - 1) / 2.0, box.MinY + (box.Height - 1) / 2.0).TraceRadius
            : config.InitialSigma);
        if (!(sigma0 > 0) || !double.IsFinite(sigma0)) sigma0 = config.InitialSigma;
        int bad = exposure.Mask.DefinedBits(config.BadMaskPlanes);
        var image = (ReadOnlySpan2D<float>)exposure.Image.Pixels;
        var variance = (ReadOnlySpan2D<float>)exposure.Variance.Pixels;
        var mask = (ReadOnlySpan2D<int>)exposure.Mask.Image.Pixels;
        int x0 = box.MinX, y0 = box.MinY;

        int blended = 0, masked = 0, unmeasured = 0, faint = 0, wrongSize = 0, elongated = 0;
        var measured = new List<PsfCandidate>();
        for (int i = 0; i < footprints.Count; i++)
        {
            if ((i & 255) == 0) cancel.ThrowIfCancellationRequested();
            var fp = footprints[i];
            if (fp.Peaks.Count == 0 || fp.Peaks.Count > config.MaxPeaks) { blended++; continue; }
            if (AnyBad(fp, mask, x0, y0, bad)) { masked++; continue; }
            var peak = fp.Peaks[0];
            var m = AdaptiveMoments.Measure(image, peak.X - x0, peak.Y - y0, sigma0, variance);
            if (!m.Converged || Math.Abs(m.X - (peak.X - x0)) > 2 || Math.Abs(m.Y - (peak.Y - y0)) > 2) { unmeasured++; continue; }
            if (!(m.SignalToNoise >= config.MinSignalToNoise)) { faint++; continue; }
            double width = m.Moments.TraceRadius;
            if (!(width >= config.MinWidth && width <= config.MaxWidth)) { wrongSize++; continue; }
            if (!(m.Moments.Ellipticity <= config.MaxEllipticity)) { elongated++; continue; }
            measured.Add(new PsfCandidate(m.X + x0, m.Y + y0, m.Flux, m.SignalToNoise, m.Moments, fp));
        }

        var stars = StellarLocus(measured, config, out double locusWidth);
        int kernel = config.KernelSizeFor(double.IsNaN(locusWidth) ? sigma0 : locusWidth);
        int half = kernel / 2 + config.Border;
        var index = new FootprintIndex(footprints);
        int edge = 0, crowded = 0;
        var kept = new List<PsfCandidate>();
        foreach (var star in stars)
        {
            cancel.ThrowIfCancellationRequested();
            int cx = (int)Math.Round(star.X), cy = (int)Math.Round(star.Y);
            var stamp = Box2I.FromCorners(cx - half, cy - half, cx + half, cy + half);
            if (!box.Contains(stamp)) { edge++; continue; }
            if (AnyBad(stamp, mask, x0, y0, bad)) { masked++; continue; }
            if (index.AnyOtherIn(stamp, star.Footprint)) { crowded++; continue; }
            kept.Add(star);
        }
        kept.Sort((a, b) => b.Flux.CompareTo(a.Flux));
        int overLimit = Math.Max(0, kept.Count - config.MaxCandidates);
        if (overLimit > 0) kept.RemoveRange(config.MaxCandidates, overLimit);
        var counts = new PsfStarSelectionCounts(footprints.Count, blended, masked, unmeasured, faint, wrongSize, elongated,
                                                measured.Count - stars.Count, edge, crowded, overLimit, kept.Count);
        return new PsfStarSelection(kept, locusWidth, kernel, config.Border, counts);
    }

    /// <summary>The members of the stellar locus (the narrowest width cluster after clipping), and its median width.</summary>
    internal static List<PsfCandidate> StellarLocus(List<PsfCandidate> sources, PsfStarSelectorConfig config, out double median)
    {
        median = double.NaN;
        if (sources.Count == 0) return [];
        double[] widths = sources.Select(s => s.Width).ToArray();
        var sorted = widths.Order().ToArray();
        double seed = sorted[sorted.Length / 10];
        var centers = new double[config.LocusClusters];
        for (int c = 0; c < centers.Length; c++) centers[c] = seed * (1 + config.LocusSeedStep * c);
        var cluster = new int[widths.Length];
        Array.Fill(cluster, -1);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            bool changed = false;
            for (int i = 0; i < widths.Length; i++)
            {
                int best = 0;
                for (int c = 1; c < centers.Length; c++)
                    if (Math.Abs(widths[i] - centers[c]) < Math.Abs(widths[i] - centers[best])) best = c;
                if (best != cluster[i]) (cluster[i], changed) = (best, true);
            }
            if (!changed) break;
            for (int c = 0; c < centers.Length; c++)
            {
                var members = widths.Where((_, i) => cluster[i] == c).ToArray();
                centers[c] = members.Length > 0 ? OrderStatistics.Median(members) : double.NaN;   // an empty cluster attracts nothing again
            }
        }
        // Clip the stellar cluster about its median (objectSizeStarSelector's _improveCluster).
        var inLocus = cluster.Select(c => c == 0).ToArray();
        int count = inLocus.Count(b => b);
        if (count >= 5)
            for (int iteration = 0; iteration < 10; iteration++)
            {
                var w = widths.Where((_, i) => inLocus[i]).Order().ToArray();
                double med = OrderStatistics.Median(w), mean = w.Average();
                double std = Math.Sqrt(w.Sum(v => (v - mean) * (v - mean)) / w.Length);
                double iqr = 0.741 * (w[(int)(0.75 * w.Length)] - w[(int)(0.25 * w.Length)]);
                double sd = Math.Min(std, iqr);
                for (int i = 0; i < widths.Length; i++)
                    if (inLocus[i] && !(Math.Abs(widths[i] - med) < config.LocusClipSigma * sd)) inLocus[i] = false;
                int now = inLocus.Count(b => b);
                if (now == count || sd < 0.15 * med || now < 5) { count = now; break; }
                count = now;
            }
        var locus = sources.Where((_, i) => inLocus[i]).ToList();
        if (locus.Count > 0) median = OrderStatistics.Median(locus.Select(s => s.Width).ToArray());
        return locus;
    }

    private static bool AnyBad(Footprint fp, ReadOnlySpan2D<int> mask, int x0, int y0, int bad)
    {
        if (bad == 0) return false;
        foreach (var span in fp.Spans)
        {
            var row = mask.GetRowSpan(span.Y - y0);
            for (int x = span.X0; x <= span.X1; x++)
                if ((row[x - x0] & bad) != 0) return true;
        }
        return false;
    }

    private static bool AnyBad(Box2I stamp, ReadOnlySpan2D<int> mask, int x0, int y0, int bad)
    {
        if (bad == 0) return false;
        for (int y = stamp.MinY; y <= stamp.MaxY; y++)
        {
            var row = mask.GetRowSpan(y - y0).Slice(stamp.MinX - x0, stamp.Width);
            foreach (int m in row)
                if ((m & bad) != 0) return true;
        }
        return false;
    }

    /// <summary>Footprints by the 64 x 64 pixel cells their boxes touch, to find those that reach into a stamp.</summary>
    private sealed class FootprintIndex
    {
        private const int Cell = 64;
        private readonly Dictionary<(int, int), List<Footprint>> _cells = [];

        public FootprintIndex(IReadOnlyList<Footprint> footprints)
        {
            foreach (var fp in footprints)
                for (int cy = Floor(fp.BBox.MinY); cy <= Floor(fp.BBox.MaxY); cy++)
                    for (int cx = Floor(fp.BBox.MinX); cx <= Floor(fp.BBox.MaxX); cx++)
                    {
                        if (!_cells.TryGetValue((cx, cy), out var list)) _cells[(cx, cy)] = list = [];
                        list.Add(fp);
                    }
        }

        /// <summary>True when a footprint other than <paramref name="self"/> has a pixel inside <paramref name="stamp"/>.</summary>
        public bool AnyOtherIn(Box2I stamp, Footprint self)
        {
            for (int cy = Floor(stamp.MinY); cy <= Floor(stamp.MaxY); cy++)
                for (int cx = Floor(stamp.MinX); cx <= Floor(stamp.MaxX); cx++)
                {
                    if (!_cells.TryGetValue((cx, cy), out var list)) continue;
                    foreach (var fp in list)
                    {
                        if (ReferenceEquals(fp, self) || fp.BBox.Intersect(stamp).IsEmpty) continue;
                        foreach (var s in fp.Spans)
                            if (s.Y >= stamp.MinY && s.Y <= stamp.MaxY && s.X1 >= stamp.MinX && s.X0 <= stamp.MaxX) return true;
                    }
                }
            return false;
        }

        private static int Floor(int v) => (int)Math.Floor(v / (double)Cell);
    }
}
