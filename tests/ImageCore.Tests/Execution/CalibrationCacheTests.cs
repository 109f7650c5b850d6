using System.Collections.Concurrent;
using System.Diagnostics;
using ImageCore.Camera;
using ImageCore.Execution;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class CalibrationCacheTests
{
    private static readonly Detector[] Detectors = CameraModel.LsstCam.Detectors.Take(12).ToArray();
    private static Detector D(int i) => Detectors[i];

    // ---- policy text -------------------------------------------------------------------------------------

    [Theory]
    [InlineData("none", CacheMode.None, 0)]
    [InlineData("unbounded", CacheMode.Unbounded, 0)]
    [InlineData(" Unbounded ", CacheMode.Unbounded, 0)]
    [InlineData("datasets:500", CacheMode.Datasets, 500)]
    [InlineData("lru-datasets:3", CacheMode.LruDatasets, 3)]
    [InlineData("bytes:1TB", CacheMode.Bytes, 1_000_000_000_000)]
    [InlineData("bytes:500MB", CacheMode.Bytes, 500_000_000)]
    [InlineData("bytes:2.5GB", CacheMode.Bytes, 2_500_000_000)]
    [InlineData("bytes:1024", CacheMode.Bytes, 1024)]
    [InlineData("bytes:3kB", CacheMode.Bytes, 3000)]
    [InlineData("bytes:2 KiB", CacheMode.Bytes, 2048)]
    [InlineData("bytes:1.5MiB", CacheMode.Bytes, 1_572_864)]
    [InlineData("bytes:2.5GiB", CacheMode.Bytes, 2_684_354_560)]
    [InlineData("bytes:1TiB", CacheMode.Bytes, 1_099_511_627_776)]
    public void Policies_parse_with_decimal_and_binary_sizes(string text, CacheMode mode, long limit)
    {
        var p = CachePolicy.Parse(text);
        Assert.Equal(mode, p.Mode);
        Assert.Equal(limit, p.Limit);
        Assert.Equal(p, CachePolicy.Parse(p.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("lru")]
    [InlineData("datasets")]
    [InlineData("datasets:")]
    [InlineData("datasets:0")]
    [InlineData("datasets:-3")]
    [InlineData("datasets:2.5")]
    [InlineData("none:5")]
    [InlineData("bytes:1XB")]
    [InlineData("bytes:0")]
    [InlineData("bytes:1.5")]
    [InlineData("bytes:9999999TB")]
    [InlineData("bytes:TB")]
    [InlineData("size:1TB")]
    public void Invalid_policies_name_the_text_and_the_accepted_forms(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => CachePolicy.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains("lru-datasets:N", e.Message);
        Assert.Contains("bytes:SIZE", e.Message);
    }

    [Fact]
    public void Create_rejects_a_bounded_policy_without_a_limit()
    {
        var e = Assert.Throws<ArgumentException>(() => CalibrationCache.Create(new CachePolicy { Mode = CacheMode.Datasets }, new FakeStore()));
        Assert.Contains("limit 0", e.Message);
    }

    // ---- eviction order ----------------------------------------------------------------------------------

    [Fact]
    public void Datasets_evicts_by_insertion_and_a_hit_does_not_refresh()
    {
        var store = new FakeStore();
        using var cache = CalibrationCache.Create(CachePolicy.Parse("datasets:2"), store);
        Touch(cache, 0, 1, 0, 2);   // the hit on 0 does not save it from 2
        Assert.Equal(3, store.Reads);
        Assert.Equal(1, cache.Counters.Hits);
        Assert.Equal([D(1).Name, D(2).Name], cache.HeldKeys().Select(k => k.Detector));
        Touch(cache, 0);            // 0 was evicted: read again, evicting 1
        Assert.Equal(4, store.Reads);
        Assert.Equal([D(2).Name, D(0).Name], cache.HeldKeys().Select(k => k.Detector));
        Assert.Equal(2, cache.Counters.Evictions);
    }

    [Fact]
    public void Lru_datasets_evicts_the_least_recently_used()
    {
        var store = new FakeStore();
        using var cache = CalibrationCache.Create(CachePolicy.Parse("lru-datasets:2"), store);
        Touch(cache, 0, 1, 0, 2);   // the hit on 0 refreshes it: 1 goes
        Assert.Equal([D(0).Name, D(2).Name], cache.HeldKeys().Select(k => k.Detector));
        Touch(cache, 0);
        Assert.Equal(3, store.Reads);
        Touch(cache, 1);            // read again; 2 is now least recent
        Assert.Equal([D(0).Name, D(1).Name], cache.HeldKeys().Select(k => k.Detector));
        Assert.Equal(new CalibrationCacheCounters(Hits: 2, Misses: 4, BytesReadFromStore: 400, Evictions: 2, BytesHeld: 200, EntriesHeld: 2), cache.Counters);
    }

    [Fact]
    public void Bytes_evicts_oldest_until_under_the_limit_and_does_not_keep_an_entry_larger_than_the_limit()
    {
        // Sizes: detectors 0-2 100 bytes, 3 60 bytes, 4 300 bytes.
        var store = new FakeStore { SizeOf = d => d == D(4).Name ? 300 : d == D(3).Name ? 60 : 100 };
        using var cache = CalibrationCache.Create(CachePolicy.Parse("bytes:250"), store);
        Touch(cache, 0, 1, 0);
        Assert.Equal(200, cache.Counters.BytesHeld);
        Touch(cache, 2);            // 300 > 250: the oldest inserted (0, despite its hit) goes
        Assert.Equal([D(1).Name, D(2).Name], cache.HeldKeys().Select(k => k.Detector));
        Touch(cache, 3);            // 260 > 250: 1 goes, leaving 160
        Assert.Equal([D(2).Name, D(3).Name], cache.HeldKeys().Select(k => k.Detector));
        Assert.Equal(160, cache.Counters.BytesHeld);

        using (var big = cache.GetBias(D(4)))   // larger than the whole limit: handed out, not kept, nothing evicted
        {
            Assert.Equal(300, big.StoredBytes);
            Assert.Equal(4, big.Value.BBox.Width);
            Assert.Equal([D(0).Name, D(1).Name], store.Freed);   // the evicted ones, freed as they went
        }
        Assert.Equal([D(2).Name, D(3).Name], cache.HeldKeys().Select(k => k.Detector));
        Assert.Equal([D(0).Name, D(1).Name, D(4).Name], store.Freed);   // the big one freed with its lease
        Touch(cache, 4);
        Assert.Equal(6, store.Reads);
        Assert.Equal(new CalibrationCacheCounters(Hits: 1, Misses: 6, BytesReadFromStore: 960, Evictions: 2, BytesHeld: 160, EntriesHeld: 2), cache.Counters);
    }

    [Fact]
    public void None_reads_the_store_for_every_request()
    {
        var store = new FakeStore();
        using var cache = CalibrationCache.Create(CachePolicy.Parse("none"), store);
        Touch(cache, 0, 0, 1, 0);
        Assert.Equal(4, store.Reads);
        Assert.Equal(new CalibrationCacheCounters(0, 4, 400, 0, 0, 0), cache.Counters);
        Assert.Equal(4, store.Freed.Count);
    }

    [Fact]
    public void Unbounded_never_evicts()
    {
        var store = new FakeStore();
        using var cache = CalibrationCache.Create(CachePolicy.Parse("unbounded"), store);
        for (int round = 0; round < 3; round++)
            for (int i = 0; i < Detectors.Length; i++) Touch(cache, i);
        Assert.Equal(Detectors.Length, store.Reads);
        Assert.Equal(new CalibrationCacheCounters(2 * Detectors.Length, Detectors.Length, 100 * Detectors.Length, 0, 100 * Detectors.Length, Detectors.Length), cache.Counters);
        Assert.Empty(store.Freed);
    }

    [Fact]
    public void Keys_tell_types_bands_and_validities_apart()
    {
        var store = new FakeStore();
        using var cache = CalibrationCache.Create(CachePolicy.Parse("unbounded"), store);
        var d = D(0);
        using (cache.GetBias(d)) { }
        using (cache.GetDark(d)) { }
        using (cache.GetFlat(d, "r")) { }
        using (cache.GetFlat(d, "g")) { }
        using (cache.GetFlat(d, "r")) { }
        using (var x = cache.GetCrosstalk(d)) Assert.Equal(2.5, x.Value[1, 0]);
        using (var k = cache.GetLinearity(d)) Assert.Equal([1e-6, 2e-6], k.Value);
        using (var b = cache.GetDefects(d)) Assert.Equal(new Box2I(1, 2, 3, 4), Assert.Single(b.Value));
        using (cache.GetLinearity(d)) { }
        Assert.Equal(7, store.Reads);
        Assert.Equal(2, cache.Counters.Hits);
        Assert.Contains(cache.HeldKeys(), k => k.Type == CalibrationType.Flat && k.Band == "g" && k.Validity == CalibrationValidity.Unbounded);
        Assert.Equal($"flat {d.Name} g unbounded", cache.HeldKeys().Single(k => k.Band == "g").ToString());

        // A store whose validity changes (a new calibration certified) is read again for the same type and detector.
        store.Validity = new CalibrationValidity(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero), null);
        using (cache.GetBias(d)) { }
        Assert.Equal(8, store.Reads);
        Assert.Equal(2, cache.HeldKeys().Count(k => k.Type == CalibrationType.Bias));
    }

    // ---- concurrency -------------------------------------------------------------------------------------

    [Fact]
    public void Eight_threads_asking_for_the_same_calibration_cause_one_store_read()
    {
        const int Threads = 8;
        CalibrationCache? cache = null;
        // The read blocks until all eight requests have reached the cache (each counts as a hit or a miss first).
        var store = new FakeStore { BeforeRead = _ => WaitUntil(() => cache!.Counters is var c && c.Hits + c.Misses == Threads) };
        cache = CalibrationCache.Create(CachePolicy.Parse("datasets:4"), store);
        var leases = new CalibrationLease<Exposure>?[Threads];
        RunThreads(Threads, i => leases[i] = cache.GetFlat(D(0), "r"));
        Assert.Equal(1, store.Reads);
        Assert.All(leases, l => Assert.Same(leases[0]!.Value, l!.Value));
        Assert.Equal(new CalibrationCacheCounters(Hits: Threads - 1, Misses: 1, BytesReadFromStore: 100, Evictions: 0, BytesHeld: 100, EntriesHeld: 1), cache.Counters);
        foreach (var l in leases) l!.Dispose();
        Assert.Empty(store.Freed);   // still held
        cache.Dispose();
        Assert.Equal([D(0).Name], store.Freed);
    }

    [Fact]
    public void A_failed_load_reaches_every_waiter_and_is_not_cached()
    {
        const int Threads = 4;
        CalibrationCache? cache = null;
        var store = new FakeStore
        {
            FailuresLeft = 1,
            BeforeRead = _ => WaitUntil(() => cache!.Counters is var c && c.Hits + c.Misses == Threads),
        };
        cache = CalibrationCache.Create(CachePolicy.Parse("unbounded"), store);
        var errors = new Exception?[Threads];
        RunThreads(Threads, i => errors[i] = Record.Exception(() => cache.GetDark(D(1))));
        var first = Assert.IsType<CalibrationException>(errors[0]);
        Assert.All(errors, e => Assert.Same(first, e));
        Assert.Equal("dark", first.Calibration);
        Assert.Contains($"{D(1).Name}.fits", first.Message);
        Assert.Equal(new CalibrationCacheCounters(Threads - 1, 1, 0, 0, 0, 0), cache.Counters);
        Assert.Equal(0, store.Reads);   // the fake counts successful reads

        store.BeforeRead = null;
        using (var lease = cache.GetDark(D(1))) Assert.Equal(100, lease.StoredBytes);   // retried, now it works
        Assert.Equal(1, store.Reads);
        Assert.Equal(new CalibrationCacheCounters(Threads - 1, 2, 100, 0, 100, 1), cache.Counters);
        cache.Dispose();
    }

    [Fact]
    public void Counters_add_up_under_concurrent_mixed_requests()
    {
        foreach (string text in new[] { "none", "datasets:3", "lru-datasets:3", "bytes:450", "unbounded" })
        {
            var store = new FakeStore { SizeOf = d => 50 + 40 * Array.FindIndex(Detectors, x => x.Name == d) };   // 50 .. 490 bytes
            var cache = CalibrationCache.Create(CachePolicy.Parse(text), store);
            const int Threads = 4, PerThread = 150;
            RunThreads(Threads, t =>
            {
                var rng = new Random(17 + t);
                for (int i = 0; i < PerThread; i++)
                    using (var lease = cache.GetBias(D(rng.Next(Detectors.Length))))
                        Assert.Equal(4, lease.Value.BBox.Width);
            });
            var c = cache.Counters;
            var held = cache.HeldKeys();
            Assert.Equal(Threads * PerThread, c.Hits + c.Misses);
            Assert.Equal(store.Reads, c.Misses);
            Assert.Equal(store.BytesRead, c.BytesReadFromStore);
            Assert.Equal(held.Count, c.EntriesHeld);
            Assert.Equal(held.Sum(k => store.SizeOf(k.Detector)), c.BytesHeld);
            Assert.Equal(store.Reads - held.Count, store.Freed.Count);   // every lease is back: only held entries live
            if (text is "datasets:3" or "lru-datasets:3" or "unbounded") Assert.Equal(c.Misses - c.EntriesHeld, c.Evictions);
            if (text == "datasets:3") Assert.Equal(3, c.EntriesHeld);
            if (text == "bytes:450") Assert.InRange(c.BytesHeld, 1, 450);
            cache.Dispose();
            Assert.Equal(store.Reads, store.Freed.Count);
            Assert.Equal(new CalibrationCacheCounters(c.Hits, c.Misses, c.BytesReadFromStore, c.Evictions, 0, 0), cache.Counters);
        }
    }

    // ---- ownership ---------------------------------------------------------------------------------------

    [Fact]
    public void A_lease_keeps_an_evicted_entry_alive_until_released()
    {
        var store = new FakeStore();
        using var cache = CalibrationCache.Create(CachePolicy.Parse("datasets:1"), store);
        var a = cache.GetBias(D(0));
        var a2 = cache.GetBias(D(0));
        Touch(cache, 1);                           // evicts 0 from the cache
        Assert.Equal(1, cache.Counters.Evictions);
        Assert.Empty(store.Freed);
        Assert.Equal(7f, a.Value.MaskedImage.Image[0, 0]);   // still readable
        a.Dispose();
        a.Dispose();                               // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => a.Value);
        Assert.Empty(store.Freed);
        Assert.Equal(7f, a2.Value.MaskedImage.Image[3, 3]);
        a2.Dispose();
        Assert.Equal([D(0).Name], store.Freed);
    }

    [Fact]
    public void Disposing_the_cache_frees_its_entries_and_outstanding_leases_stay_valid()
    {
        var store = new FakeStore();
        var cache = CalibrationCache.Create(CachePolicy.Parse("unbounded"), store);
        Touch(cache, 0, 1, 2);
        var kept = cache.GetBias(D(3));
        cache.Dispose();
        cache.Dispose();
        Assert.Equal([D(0).Name, D(1).Name, D(2).Name], store.Freed);
        Assert.Equal(7f, kept.Value.MaskedImage.Image[1, 1]);
        kept.Dispose();
        Assert.Equal(4, store.Freed.Count);
        Assert.Throws<ObjectDisposedException>(() => cache.GetBias(D(0)));
        Assert.Equal(0, cache.Counters.Evictions);
    }

    // ---- throttled store ---------------------------------------------------------------------------------

    [Fact]
    public void Throttle_adds_latency_and_queues_reads_on_one_shared_link()
    {
        var clock = new ManualClock();
        var delays = new List<TimeSpan>();
        var inner = new FakeStore { SizeOf = _ => 2_000_000 };
        var store = new ThrottledCalibrationStore(inner, new ThrottledStoreConfig { Latency = TimeSpan.FromMilliseconds(5), BandwidthBytesPerSecond = 1e6 },
                                                  clock, delays.Add);
        // Three reads that finish at the same instant (as if on three threads): 2 s of link each, queued.
        for (int i = 0; i < 3; i++) store.GetBias(D(i)).Dispose();
        Assert.Equal([Ms(2005), Ms(4005), Ms(6005)], delays);
        clock.Advance(TimeSpan.FromSeconds(5));   // the link is busy until t = 6 s
        using (var lease = store.GetFlat(D(0), "r")) Assert.Equal(2_000_000, lease.StoredBytes);
        Assert.Equal(Ms(3005), delays[3]);
        clock.Advance(TimeSpan.FromSeconds(60));  // idle link: latency + own transfer only
        store.GetDark(D(0)).Dispose();
        Assert.Equal(Ms(2005), delays[4]);
        Assert.Equal(5, store.Reads);
        Assert.Equal(5, inner.Reads);
        Assert.Equal(Ms(2005 + 4005 + 6005 + 3005 + 2005), store.TotalDelay);

        inner.FailuresLeft = 1;                  // a failed read still costs the latency, and its error comes through
        Assert.IsType<CalibrationException>(Record.Exception(() => store.GetBias(D(5))));
        Assert.Equal(Ms(5), delays[5]);
    }

    [Fact]
    public void Throttle_with_unlimited_bandwidth_waits_only_the_latency_and_rejects_bad_settings()
    {
        var delays = new List<TimeSpan>();
        var store = new ThrottledCalibrationStore(new FakeStore(), new ThrottledStoreConfig { Latency = TimeSpan.FromMilliseconds(3) }, new ManualClock(), delays.Add);
        for (int i = 0; i < 4; i++) store.GetDefects(D(0)).Dispose();
        Assert.Equal(Enumerable.Repeat(Ms(3), 4), delays);
        Assert.Contains("BandwidthBytesPerSecond 0", Assert.Throws<ArgumentException>(() =>
            new ThrottledCalibrationStore(new FakeStore(), new ThrottledStoreConfig { BandwidthBytesPerSecond = 0 })).Message);
        Assert.Contains("Latency", Assert.Throws<ArgumentException>(() =>
            new ThrottledCalibrationStore(new FakeStore(), new ThrottledStoreConfig { Latency = TimeSpan.FromSeconds(-1) })).Message);
    }

    [Fact]
    public void Cache_over_a_throttled_store_only_waits_on_misses()
    {
        var delays = new List<TimeSpan>();
        var inner = new FakeStore();
        var throttled = new ThrottledCalibrationStore(inner, new ThrottledStoreConfig { Latency = TimeSpan.FromMilliseconds(10) }, new ManualClock(), delays.Add);
        using var cache = CalibrationCache.Create(CachePolicy.Parse("bytes:1TB"), throttled);
        Touch(cache, 0, 1, 0, 1, 0);
        Assert.Equal(2, delays.Count);
        Assert.Equal(2, inner.Reads);
    }

    // ---- through the real directory and ISR --------------------------------------------------------------

    [Fact]
    public void Isr_through_the_cache_is_bit_identical_and_the_directory_reads_each_file_once()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Detectors = "R22_S11", Visits = 2, Scale = 8, Seed = 5 });
        string calib = Path.Combine(dir.Path, "calib");
        var direct = new CalibrationDirectory(calib);
        var behindCache = new CalibrationDirectory(calib);
        using var cache = CalibrationCache.Create(CachePolicy.Parse("bytes:1TB"), behindCache);
        Assert.Equal(2, sim.Raws.Count);
        int run = 0;
        foreach (string rawPath in sim.Raws)
        {
            using var raw = FitsFile.Open(rawPath);
            int threads = 1 + run++ % 2;   // the second visit reads its frames on a second thread
            using var expected = IsrTask.Run(raw, CameraModel.LsstCam, direct, new IsrConfig(), threads);
            using var cached = IsrTask.Run(raw, CameraModel.LsstCam, cache, new IsrConfig(), threads);
            using var stepwise = IsrTask.Run(raw, CameraModel.LsstCam, cache, new IsrConfig(), 1, allowFused: false);
            AssertSamePixels(expected.MaskedImage, cached.MaskedImage);
            AssertSamePixels(expected.MaskedImage, stepwise.MaskedImage);
        }

        string[] files = ["bias/R22_S11.fits", "dark/R22_S11.fits", "flat/r/R22_S11.fits", "crosstalk/R22_S11.json", "linearity/R22_S11.json", "defects/R22_S11.json", "amps/R22_S11.json"];
        long sizes = files.Sum(f => new FileInfo(Path.Combine(calib, f)).Length);
        Assert.Equal(files.Length, behindCache.Reads);
        Assert.Equal(sizes, behindCache.BytesRead);
        Assert.Equal(behindCache.BytesRead, cache.Counters.BytesReadFromStore);
        Assert.Equal(sizes, cache.Counters.BytesHeld);
        Assert.Equal(2 * sizes, direct.BytesRead);   // without the cache, every visit reads them all
        Assert.Equal(new CalibrationCacheCounters(Hits: 4 * files.Length - files.Length, Misses: files.Length, sizes, 0, sizes, files.Length), cache.Counters);

        // ISR only reads the shared frames: the cached bias, dark and flat still equal a fresh read.
        var detector = CameraModel.LsstCam.Scaled(8)["R22_S11"];
        using (var c = cache.GetBias(detector)) using (var f = direct.GetBias(detector)) AssertSamePixels(f.Value.MaskedImage, c.Value.MaskedImage);
        using (var c = cache.GetDark(detector)) using (var f = direct.GetDark(detector)) AssertSamePixels(f.Value.MaskedImage, c.Value.MaskedImage);
        using (var c = cache.GetFlat(detector, "r")) using (var f = direct.GetFlat(detector, "r")) AssertSamePixels(f.Value.MaskedImage, c.Value.MaskedImage);
        Assert.Equal(files.Length, behindCache.Reads);
    }

    [Fact]
    public void Directory_errors_name_the_file_and_still_count_reads_that_happened()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("linearity"));
        File.WriteAllText(dir.File("linearity/R22_S11.json"), "{\"k\": [1, 2]}");
        var store = new CalibrationDirectory(dir.Path);
        var d = CameraModel.LsstCam["R22_S11"];
        var e = Assert.Throws<CalibrationException>(() => store.GetLinearity(d));
        Assert.Contains("linearity/R22_S11.json", e.Path.Replace('\\', '/'));
        Assert.Contains("needs 16 coefficients, has 2", e.Message);
        Assert.Equal("bias", Assert.Throws<CalibrationException>(() => store.GetBias(d)).Calibration);
        using (var none = store.GetDefects(d)) Assert.Empty(none.Value);
        Assert.Equal(1, store.Reads);
        Assert.Equal(new FileInfo(dir.File("linearity/R22_S11.json")).Length, store.BytesRead);
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>Requests and releases the bias of each listed detector, in order.</summary>
    private static void Touch(ICalibrationSource source, params int[] detectors)
    {
        foreach (int i in detectors) source.GetBias(D(i)).Dispose();
    }

    private static void RunThreads(int count, Action<int> body)
    {
        var errors = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try { body(i); }
            catch (Exception e) { errors.Enqueue(e); }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a thread did not finish");
        if (!errors.IsEmpty) throw new AggregateException(errors);
    }

    /// <summary>Spins until <paramref name="condition"/> holds; fails after 30 s (a hang, never a timing assertion).</summary>
    private static void WaitUntil(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the requests never all arrived");
            Thread.Sleep(1);
        }
    }

    private static void AssertSamePixels(MaskedImage expected, MaskedImage actual)
    {
        Assert.Equal(expected.BBox, actual.BBox);
        Assert.Equal(expected.Mask.Planes, actual.Mask.Planes);
        for (int y = 0; y < expected.BBox.Height; y++)
        {
            Assert.Equal(expected.Image.Pixels.GetRowSpan(y).ToArray(), actual.Image.Pixels.GetRowSpan(y).ToArray());
            Assert.Equal(expected.Variance.Pixels.GetRowSpan(y).ToArray(), actual.Variance.Pixels.GetRowSpan(y).ToArray());
            Assert.Equal(expected.Mask.Image.Pixels.GetRowSpan(y).ToArray(), actual.Mask.Image.Pixels.GetRowSpan(y).ToArray());
        }
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>
    /// An in-memory store: every call "reads" a 4 x 4 exposure of 7s (or small JSON-like values) of a stated size
    /// and counts it; disposing the store's lease records the detector as freed. Optionally blocks in each read
    /// (<see cref="BeforeRead"/>) or fails the next reads (<see cref="FailuresLeft"/>) with a CalibrationException.
    /// </summary>
    private sealed class FakeStore : ICalibrationSource
    {
        private int _reads, _failuresLeft;
        private long _bytesRead;

        public Func<string, long> SizeOf { get; init; } = _ => 100;
        public Action<string>? BeforeRead { get; set; }
        public int FailuresLeft { get => _failuresLeft; set => _failuresLeft = value; }
        public CalibrationValidity Validity { get; set; } = CalibrationValidity.Unbounded;
        public int Reads => Volatile.Read(ref _reads);
        public long BytesRead => Interlocked.Read(ref _bytesRead);
        public ConcurrentQueue<string> Freed { get; } = new();

        public CalibrationLease<Exposure> GetBias(Detector detector) => Exposure("bias", detector);
        public CalibrationLease<Exposure> GetDark(Detector detector) => Exposure("dark", detector);
        public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => Exposure("flat", detector);

        public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) =>
            Read("defects", detector, () => new CalibrationLease<IReadOnlyList<Box2I>>([new Box2I(1, 2, 3, 4)], SizeOf(detector.Name), () => Freed.Enqueue(detector.Name)));

        public CalibrationLease<double[,]> GetCrosstalk(Detector detector) =>
            Read("crosstalk", detector, () => new CalibrationLease<double[,]>(new double[,] { { 0, 1.5 }, { 2.5, 0 } }, SizeOf(detector.Name), () => Freed.Enqueue(detector.Name)));

        public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) =>
            Read("linearity", detector, () => new CalibrationLease<IReadOnlyList<double>>(new[] { 1e-6, 2e-6 }, SizeOf(detector.Name), () => Freed.Enqueue(detector.Name)));

        public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) =>
            Read("amps", detector, () => new CalibrationLease<IReadOnlyList<AmplifierCalibration>>([new AmplifierCalibration("C10", 1.5, 5, 1e5)], SizeOf(detector.Name), () => Freed.Enqueue(detector.Name)));

        public CalibrationValidity GetValidity(CalibrationType type, Detector detector, string? band) => Validity;

        private CalibrationLease<Exposure> Exposure(string kind, Detector detector) => Read(kind, detector, () =>
        {
            var mi = new MaskedImage(4, 4);
            mi.Image.Pixels.Fill(7f);
            var exposure = new Exposure(mi);
            return new CalibrationLease<Exposure>(exposure, SizeOf(detector.Name), () =>
            {
                exposure.Dispose();
                Freed.Enqueue(detector.Name);
            });
        });

        private CalibrationLease<T> Read<T>(string kind, Detector detector, Func<CalibrationLease<T>> make) where T : class
        {
            BeforeRead?.Invoke(detector.Name);
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
                throw new CalibrationException(kind, $"/store/{kind}/{detector.Name}.fits", "the read was refused");
            Interlocked.Increment(ref _reads);
            Interlocked.Add(ref _bytesRead, SizeOf(detector.Name));
            return make();
        }
    }
}
