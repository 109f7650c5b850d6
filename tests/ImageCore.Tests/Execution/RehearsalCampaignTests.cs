using ImageCore.Camera;
using ImageCore.Execution;
using ImageCore.Execution.Rehearsal;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class RehearsalCampaignTests
{
    /// <summary>Full-size-like sizes: three 200 MB frames and small JSON files.</summary>
    private static readonly CalibrationCatalog Sizes = CalibrationCatalog.Uniform(new Dictionary<CalibrationType, long?>
    {
        [CalibrationType.Bias] = 200_000_000, [CalibrationType.Dark] = 200_000_000, [CalibrationType.Flat] = 200_000_000,
        [CalibrationType.Defects] = 100, [CalibrationType.Crosstalk] = 1_000, [CalibrationType.Linearity] = 400, [CalibrationType.Amplifiers] = 1_800,
    }, "test sizes");

    private static readonly long BytesPerDetector = 600_000_000 + 100 + 1_000 + 400 + 1_800;

    private static CampaignConfig Night(string order, string cache, int visits) => new()
    {
        Visits = visits, Order = QuantumOrder.Parse(order), Cache = CachePolicy.Parse(cache), IsrCpuSeconds = 60,
    };

    [Fact]
    public void Pure_detector_clustering_caps_the_night_at_189_jobs_however_many_cores()
    {
        var r = CampaignSimulator.Run(Night("detector", "bytes:1TB", 20), Sizes);
        Assert.Equal("clusters", r.Clustering);
        Assert.Equal(189, r.Steps[0].Jobs);
        Assert.Equal(189, r.Steps[0].PeakConcurrency);
        Assert.True(r.Steps[0].IdleCoreFraction > 0.97);
        Assert.Equal(189 * 7, r.StoreReads);   // each detector's calibrations once
        Assert.Equal(189 * BytesPerDetector, r.StoreBytes);
    }

    [Fact]
    public void Fifty_three_groups_give_ten_thousand_clusters_and_fill_every_core()
    {
        var groups = QuantumOrder.Parse("groups:53").VisitGroups(Enumerable.Range(0, 800));
        var sizes = groups.GroupBy(p => p.Value).Select(g => g.Count()).ToList();
        Assert.Equal(53, sizes.Count);
        Assert.True(sizes.All(s => s is 15 or 16));

        var r = CampaignSimulator.Run(Night("groups:53", "bytes:1TB", 106), Sizes);
        Assert.Equal(53 * 189, r.Steps[0].Jobs);
        Assert.Equal(72 * 120, r.Steps[0].PeakConcurrency);
        Assert.Equal(106 * 189, r.Steps[0].Quanta);
    }

    [Fact]
    public void A_visit_level_step_runs_at_most_one_job_per_visit_until_made_per_detector()
    {
        var perVisit = CampaignSimulator.Run(Night("visit", "bytes:1TB", 100) with { VisitStep = new VisitStepConfig { CpuSecondsPerVisit = 600 } }, Sizes);
        Assert.Equal(100, perVisit.Steps[1].PeakConcurrency);
        Assert.Equal(600, perVisit.Steps[1].MakespanSeconds, 6);
        var perDetector = CampaignSimulator.Run(Night("visit", "bytes:1TB", 100) with { VisitStep = new VisitStepConfig { CpuSecondsPerVisit = 600, PerDetector = true } }, Sizes);
        Assert.Equal(72 * 120, perDetector.Steps[1].PeakConcurrency);
        Assert.True(perDetector.Steps[1].MakespanSeconds < 20);
    }

    [Theory]
    [InlineData("visit", "unbounded", 7 * 5)]          // every dataset once
    [InlineData("visit", "none", 7 * 5 * 4)]           // every request
    [InlineData("visit", "datasets:20", 7 * 5 * 4)]    // FIFO of 20 < 35 datasets of a visit: all evicted before reuse
    [InlineData("detector", "datasets:7", 7 * 5)]      // a detector's seven datasets stay while its visits run
    [InlineData("groups:2", "datasets:7", 7 * 5 * 2)]  // once per group
    public void One_core_reads_what_the_engine_cache_policy_implies(string order, string cache, int reads)
    {
        var r = CampaignSimulator.Run(new CampaignConfig
        {
            Nodes = 1, CoresPerNode = 1, Visits = 4, Detectors = 5, Order = QuantumOrder.Parse(order), Cache = CachePolicy.Parse(cache), IsrCpuSeconds = 1,
            Clustering = CampaignClustering.Quanta,
        }, Sizes);
        Assert.Equal(reads, r.StoreReads);
        Assert.Equal(reads / 7 * BytesPerDetector, r.StoreBytes);
        Assert.Equal(4 * 5 * 7, r.Hits + r.Misses);
    }

    [Fact]
    public void The_store_link_and_latency_set_the_makespan_of_one_core()
    {
        // one quantum: seven reads of the link (latency 10 ms each, 600 MB at 1 GB/s) then 2 s of CPU
        var r = CampaignSimulator.Run(new CampaignConfig
        {
            Nodes = 1, CoresPerNode = 1, Visits = 1, Detectors = 1, Cache = CachePolicy.Parse("none"), IsrCpuSeconds = 2,
            Store = new ThrottledStoreConfig { Latency = TimeSpan.FromMilliseconds(10), BandwidthBytesPerSecond = 1e9 },
        }, Sizes);
        Assert.Equal(2 + 7 * 0.010 + BytesPerDetector / 1e9, r.MakespanSeconds, 9);
        Assert.Equal(7 * 0.010 + BytesPerDetector / 1e9, r.Steps[0].WaitCoreSeconds, 9);
    }

    [Fact]
    public void The_full_night_of_151200_quanta_is_simulated_in_seconds()
    {
        var r = CampaignSimulator.Run(Night("groups:53", "datasets:500", 800), Sizes);
        Assert.Equal(151_200, r.Steps[0].Quanta);
        Assert.Equal(151_200L * 7, r.Hits + r.Misses);
        Assert.True(r.SimulationSeconds < 30, $"took {r.SimulationSeconds:F1} s");
    }

    [Fact]
    public void The_simulated_request_sequence_is_what_ISR_asks_for()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = 8 });
        var recorder = new RecordingSource(new CalibrationDirectory(Path.Combine(dir.Path, "calib")));
        using (var raw = ImageCore.Fits.FitsFile.Open(sim.Raws[0]))
        using (IsrTask.Run(raw, CameraModel.LsstCam, recorder, new IsrConfig(), 1)) { }
        Assert.Equal(IsrCalibrationRequests.Default, recorder.Requests);
    }

    /// <summary>Passes every request to another source and records its type (not a streamed source, as the cache is not).</summary>
    private sealed class RecordingSource(ICalibrationSource inner) : ICalibrationSource
    {
        public List<CalibrationType> Requests { get; } = [];

        public CalibrationLease<ImageCore.Images.Exposure> GetBias(Detector d) { Requests.Add(CalibrationType.Bias); return inner.GetBias(d); }

        public CalibrationLease<ImageCore.Images.Exposure> GetDark(Detector d) { Requests.Add(CalibrationType.Dark); return inner.GetDark(d); }

        public CalibrationLease<ImageCore.Images.Exposure> GetFlat(Detector d, string band) { Requests.Add(CalibrationType.Flat); return inner.GetFlat(d, band); }

        public CalibrationLease<IReadOnlyList<ImageCore.Geometry.Box2I>> GetDefects(Detector d) { Requests.Add(CalibrationType.Defects); return inner.GetDefects(d); }

        public CalibrationLease<double[,]> GetCrosstalk(Detector d) { Requests.Add(CalibrationType.Crosstalk); return inner.GetCrosstalk(d); }

        public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector d) { Requests.Add(CalibrationType.Linearity); return inner.GetLinearity(d); }

        public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector d) { Requests.Add(CalibrationType.Amplifiers); return inner.GetAmplifiers(d); }
    }

    [Fact]
    public void Full_scale_sizes_keep_the_headers_and_carry_the_pixels_to_a_full_detector()
    {
        using var dir = new TempDir();
        Simulator.Run(dir.Path, new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = 8 });
        string calib = Path.Combine(dir.Path, "calib");
        var real = CalibrationCatalog.FromDirectory(calib, "r");
        var full = CalibrationCatalog.FullScale(calib, "r", CameraModel.LsstCam);
        long small = real.SizeOf(CalibrationType.Bias, "R22_S11")!.Value;
        var box = CameraModel.LsstCam.Detectors.First(d => d.Name == "R22_S11").BBox;
        long big = full.SizeOf(CalibrationType.Bias, "R01_S00")!.Value;
        Assert.True(big > 3L * box.Width * box.Height * 4 && big < 3L * box.Width * box.Height * 4 + small, $"{big} B");
        Assert.Equal(new FileInfo(Path.Combine(calib, "amps", "R22_S11.json")).Length, full.SizeOf(CalibrationType.Amplifiers, "R01_S00"));
    }

    [Fact]
    public void The_simulation_reads_exactly_what_real_runs_read_from_the_store()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        Simulator.Run(data, new SimulationConfig { Visits = 2, Detectors = "R22_S11,R22_S12,R22_S21", Scale = 8, Seed = 5 });
        var result = CampaignValidation.Run(data, dir.File("runs"), new CampaignValidationConfig
        {
            Threads = 1,
            Store = new ThrottledStoreConfig { Latency = TimeSpan.FromMilliseconds(2), BandwidthBytesPerSecond = 2e9 },
            Cases =
            [
                new(QuantumOrder.VisitMajor, CachePolicy.Parse("datasets:10")), new(QuantumOrder.Parse("detector"), CachePolicy.Parse("datasets:10")),
                new(QuantumOrder.Parse("groups:2"), CachePolicy.Parse("lru-datasets:8")), new(QuantumOrder.VisitMajor, CachePolicy.Parse("bytes:1TB")),
            ],
        });
        Assert.Equal(4, result.Rows.Count);
        foreach (var row in result.Rows)
        {
            Assert.True(row.ReadsMatch, $"{row.Order} {row.Cache}: real {row.RealStoreReads} files {row.RealStoreBytes} B, simulated {row.SimulatedStoreReads} files {row.SimulatedStoreBytes} B");
            Assert.Equal(row.RealHits, row.SimulatedHits);
            Assert.Equal(row.RealEvictions, row.SimulatedEvictions);
            Assert.True(row.SimulatedWallSeconds > 0 && row.RealWallSeconds > 0);
        }
        Assert.NotEqual(result.Rows[0].RealStoreReads, result.Rows[1].RealStoreReads);   // the order matters to a small cache
    }
}
