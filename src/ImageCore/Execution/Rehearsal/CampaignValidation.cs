using System.Globalization;
using ImageCore.Isr;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// Checks <see cref="CampaignSimulator"/> against real ISR campaigns on this machine:
/// <see cref="Pipeline.Run(string, string, PipelineConfig, IProgress{PipelineProgress}?, CancellationToken)"/> on a
/// simulated repository (<c>raw/VVVVVV/DET.fits</c> with visits 0 .. V-1, and <c>calib/</c>), ISR only, behind a
/// <see cref="ThrottledCalibrationStore"/>, once per case, and the simulator on one node of
/// <see cref="CampaignValidationConfig.Threads"/> cores with the calibrations' real file sizes. A first run is discarded (it
/// compiles the code), two more calibrate the simulation's CPU per quantum and per byte read. Store reads and bytes
/// should be equal (exactly, with one thread or a cache that never evicts); wall times are compared as a relative error.
/// </summary>
public static class CampaignValidation
{
    /// <summary>Runs the calibration runs and every case; outputs go under <paramref name="workDir"/> (deleted after each run).</summary>
    /// <param name="dataDir">The repository.</param>
    /// <param name="workDir">Scratch space for the runs' outputs.</param>
    /// <param name="config">Threads, throttle and cases.</param>
    /// <param name="log">Receives one line per run.</param>
    /// <exception cref="ArgumentException">The repository's visits are not 0 .. V-1, or a run failed.</exception>
    /// <param name="cancel">Checked between measurements, cases or HDUs.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static CampaignValidationResult Run(string dataDir, string workDir, CampaignValidationConfig config, Action<string>? log = null,
                                               CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        ArgumentNullException.ThrowIfNull(workDir);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var repository = new DataRepository(dataDir);
        var visits = Directory.GetDirectories(repository.RawRoot).Select(d => int.Parse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture)).Order().ToList();
        if (visits.Count == 0 || visits[^1] != visits.Count - 1) throw new ArgumentException($"{dataDir}: visits must be 0 .. V-1 (as imagecore simulate writes them)");
        var detectors = Directory.GetFiles(Path.Combine(repository.RawRoot, InputLayout.VisitName(visits[0])), "*.fits")
            .Select(Path.GetFileNameWithoutExtension).Select(n => n!).Order(StringComparer.Ordinal).ToList();
        string band = BandOf(repository, visits[0], detectors[0]);
        var catalog = CalibrationCatalog.FromDirectory(repository.CalibrationRoot, band);

        // Calibration: CPU per quantum and per byte read, from a run that reads each dataset once and one that reads every request
        // (after one discarded run, so that neither pays for compiling the code).
        RealRun(dataDir, workDir, config, new CampaignCase(QuantumOrder.Parse("detector"), new CachePolicy { Mode = CacheMode.Unbounded }), log);
        var once = RealRun(dataDir, workDir, config, new CampaignCase(QuantumOrder.Parse("detector"), new CachePolicy { Mode = CacheMode.Unbounded }), log);
        var every = RealRun(dataDir, workDir, config, new CampaignCase(QuantumOrder.Parse("detector"), new CachePolicy { Mode = CacheMode.None }), log);
        int quanta = visits.Count * detectors.Count;
        double extraBytes = every.Calibrations.StoreBytesRead - once.Calibrations.StoreBytesRead, extraCpu = Isr(every).CpuSeconds - Isr(once).CpuSeconds;
        double rate = extraBytes > 0 && extraCpu > 0 ? extraBytes / extraCpu : double.PositiveInfinity;
        double cpu = Math.Max(0, (Isr(once).CpuSeconds - once.Calibrations.StoreBytesRead / rate) / quanta);

        var rows = new List<CampaignValidationRow>();
        foreach (var c in config.Cases)
        {
            cancel.ThrowIfCancellationRequested();
            var real = RealRun(dataDir, workDir, config, c, log);
            var sim = CampaignSimulator.Run(new CampaignConfig
            {
                Nodes = 1, CoresPerNode = config.Threads, Visits = visits.Count, DetectorNames = detectors, Band = band, Cache = c.Cache, Order = c.Order,
                Clustering = CampaignClustering.Quanta, Store = config.Store, ReadBytesPerSecond = rate, IsrCpuSeconds = cpu,
            }, catalog);
            var k = real.Calibrations;
            rows.Add(new CampaignValidationRow(c.Order.ToString(), c.Cache.ToString(), k.StoreReads, sim.StoreReads, k.StoreBytesRead, sim.StoreBytes,
                                               k.Hits, sim.Hits, k.Evictions, sim.Evictions, Isr(real).WallSeconds, sim.MakespanSeconds));
        }
        return new CampaignValidationResult(Path.GetFullPath(dataDir), visits.Count, detectors.Count, config.Threads, Describe(config.Store), cpu, rate, rows);
    }

    /// <summary>The store's throttle as text: <c>20 ms per read, 200 MB/s</c>.</summary>
    public static string Describe(ThrottledStoreConfig store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return string.Create(CultureInfo.InvariantCulture, $"{store.Latency.TotalMilliseconds} ms per read, ")
               + (double.IsPositiveInfinity(store.BandwidthBytesPerSecond) ? "unlimited bandwidth" : string.Create(CultureInfo.InvariantCulture, $"{store.BandwidthBytesPerSecond / 1e6} MB/s shared"));
    }

    private static PipelineStepReport Isr(PipelineReport report) => report.Steps.First(s => s.Name == "isr");

    private static PipelineReport RealRun(string dataDir, string workDir, CampaignValidationConfig config, CampaignCase c, Action<string>? log)
    {
        string output = Path.Combine(workDir, "run-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var report = Pipeline.Run(dataDir, output, new PipelineConfig
            {
                Threads = config.Threads, Order = c.Order, Cache = c.Cache, CalibrationStore = config.Store, Until = PipelineStep.Isr,
            });
            if (report.Failures.Count > 0) throw new ArgumentException($"real run {c} failed: {report.Failures[0].Quantum}: {report.Failures[0].Message}");
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"real run {c}: {report.Calibrations.StoreReads} store reads, {Isr(report).WallSeconds:F2} s ISR wall"));
            return report;
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private static string BandOf(DataRepository repository, int visit, string detector)
    {
        using var file = Fits.FitsFile.Open(repository.Raw(visit, detector));
        return file[0].Header.GetString("BAND", null) ?? throw new CalibrationException("raw", file.Name, "the raw has no BAND");
    }
}
