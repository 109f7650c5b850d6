using CommunityToolkit.HighPerformance;
using ImageCore.Execution;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Simulation;

namespace ImageCore.Cli;

/// <summary>
/// <c>imagecore demo</c>: simulates a small dataset (by default <see cref="DefaultSimulation"/>: six visits of the
/// nine detectors of raft R22 at 1/8 scale), runs the whole <see cref="Pipeline"/> on it and writes asinh-stretched PNG
/// previews (<see cref="PngPreview"/>) of a raw (its 16 segments as read out, overscans included), a post-ISR image,
/// the same detector characterized (background subtracted, cosmic rays repaired), the direct warp with the most good pixels and the coadd with the most inputs. An application of the library, so it
/// lives with the command (the library has no dependency on the simulator for running the pipeline).
/// </summary>
internal static class Demo
{
    /// <summary>The demo's simulation: six visits of raft R22 at 1/8 scale. The seeing is scaled with the pixels
    /// (0.8" x 8, the simulator's default), so that the PSF is sampled as on the real camera (about 4 pixels FWHM) and
    /// characterization measures it.</summary>
    public static SimulationConfig DefaultSimulation { get; } = new() { Visits = 6, Detectors = "R22", Scale = 8, Seed = 1 };

    /// <summary>Runs the demo under <paramref name="outDir"/> (data/, run/, previews/).</summary>
    public static DemoResult Run(string outDir, PipelineConfig config, SimulationConfig? simulation = null, IProgress<string>? log = null,
                                 IProgress<PipelineProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        string data = Path.Combine(outDir, "data"), run = Path.Combine(outDir, "run"), previews = Path.Combine(outDir, "previews");
        var sim = simulation ?? DefaultSimulation;
        log?.Report($"simulating {sim.Visits} visits of {sim.Detectors} at 1/{sim.Scale} scale into {data}");
        var simulated = Simulator.Run(data, sim);
        cancel.ThrowIfCancellationRequested();
        log?.Report($"running the pipeline into {run}");
        var report = Pipeline.Run(data, run, config, progress, cancel);
        Directory.CreateDirectory(previews);
        var written = new List<string>();
        string rawPng = Path.Combine(previews, "raw.png");
        WriteRawPreview(simulated.Raws[0], rawPng);
        written.Add(rawPng);
        string? warp = MostPixels(run, report.Warps);
        foreach (var (kind, relative) in new[]
                 {
                     ("postisr", report.PostIsr.FirstOrDefault()),
                     ("calexp", report.Calexps.FirstOrDefault()),
                     ("warp", warp),
                     ("psfmatchedwarp", PsfMatchedOf(warp, report.PsfMatchedWarps)),
                     ("coadd", MostInputs(run, report.Coadds)),
                 })
        {
            if (relative is null) continue;
            using var exposure = ExposureFits.Read(Path.Combine(run, relative));
            string png = Path.Combine(previews, kind + ".png");
            PngPreview.Write(png, exposure.MaskedImage.Image.Pixels);
            written.Add(png);
        }
        return new DemoResult(data, run, report, written);
    }

    /// <summary>The warp whose detectors gave the most good pixels (the sum of its INGPXnnn cards).</summary>
    private static string? MostPixels(string run, IReadOnlyList<string> warps) =>
        warps.Select(w =>
        {
            using var f = FitsFile.Open(Path.Combine(run, w));
            var h = f[0].Header;
            long n = h.GetInt64("NINDET", 0), good = 0;
            for (int k = 0; k < n; k++) good += h.GetInt64($"INGPX{k:D3}", 0);
            return (Path: w, Good: good);
        }).OrderByDescending(w => w.Good).Select(w => w.Path).FirstOrDefault();

    /// <summary>The PSF-matched warp of <paramref name="warp"/> (same tract, patch and visit), when one was written.</summary>
    private static string? PsfMatchedOf(string? warp, IReadOnlyList<string> psfMatchedWarps)
    {
        if (warp is null) return null;
        string tail = Path.GetRelativePath(DataRepository.WarpDirectoryName, warp);
        return psfMatchedWarps.FirstOrDefault(p => Path.GetRelativePath(DataRepository.PsfMatchedWarpDirectoryName, p) == tail);
    }

    /// <summary>The coadd with the most inputs (NINPUTS), the first on a tie.</summary>
    private static string? MostInputs(string run, IReadOnlyList<string> coadds) =>
        coadds.Select(c =>
        {
            using var f = FitsFile.Open(Path.Combine(run, c));
            return (Path: c, Inputs: f[0].Header.GetInt64("NINPUTS", 0));
        }).OrderByDescending(c => c.Inputs).Select(c => c.Path).FirstOrDefault();

    /// <summary>A raw's segments as read out (data and overscan), Segment1x along the top row and Segment0x along the
    /// bottom, in file order.</summary>
    public static void WriteRawPreview(string rawPath, string pngPath)
    {
        using var file = FitsFile.Open(rawPath);
        var segments = file.Hdus.Where(h => h.ExtName?.StartsWith("Segment", StringComparison.OrdinalIgnoreCase) == true && h.Header.GetInt64("NAXIS", 0) == 2).ToList();
        if (segments.Count == 0) throw new FitsFormatException(rawPath, -1, -1, "EXTNAME", "no Segment HDUs to preview");
        int w = (int)segments[0].Width, h = (int)segments[0].Height, perRow = (segments.Count + 1) / 2;
        var mosaic = new float[2 * h, perRow * w];
        for (int k = 0; k < segments.Count; k++)
        {
            using var plane = file.ReadImage<float>(segments[k]);
            if (plane.Width != w || plane.Height != h)
                throw new FitsFormatException(rawPath, segments[k].Index, -1, "NAXIS1", $"segment is {plane.Width}x{plane.Height}, the first is {w}x{h}");
            int row0 = k < perRow ? h : 0, col0 = (k % perRow) * w;
            var view = plane.AsSpan2D();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) mosaic[row0 + y, col0 + x] = view[y, x];
        }
        PngPreview.Write(pngPath, new ReadOnlySpan2D<float>(mosaic));
    }
}
