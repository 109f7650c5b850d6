using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ImageCore.Fits;
using ImageCore.Memory;

namespace ImageCore.Benchmarks.Fits;

/// <summary>
/// FITS read and write throughput against a plain FileStream copy of the same bytes, in the same run.
/// Files live in the temporary directory and stay in the page cache, so this measures the CPU cost of
/// FITS (big-endian conversion, checksums, headers, temp-and-rename) over the cost of moving the bytes.
/// Scenarios: one 4072x4000 float32 image (an ITL detector after ISR) and a raw-sized file of 16 int32
/// amplifier HDUs of 576x2048 (an LSSTCam raw).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class FitsIoBenchmarks
{
    /// <summary>Which file: Float32Detector or Int32Raw16Hdu.</summary>
    [Params("Float32Detector", "Int32Raw16Hdu")]
    public string Scenario { get; set; } = "";

    private readonly List<Plane<float>> _floatPlanes = [];
    private readonly List<Plane<int>> _intPlanes = [];
    private string _dir = "", _fits = "", _plain = "", _fitsOut = "";
    private byte[] _bytes = [];

    /// <summary>Creates the planes, the FITS file to read and a plain file of the same length.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "imagecore-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        _fits = Path.Combine(_dir, "in.fits");
        _fitsOut = Path.Combine(_dir, "out.fits");
        _plain = Path.Combine(_dir, "plain.bin");
        var rng = new Random(2026);
        if (Scenario == "Float32Detector")
        {
            var p = new Plane<float>(4072, 4000);
            for (int y = 0; y < p.Height; y++)
                foreach (ref float v in p.GetRowSpan(y)) v = (float)(1000 + 30 * rng.NextDouble());
            _floatPlanes.Add(p);
        }
        else
        {
            for (int amp = 0; amp < 16; amp++)
            {
                var p = new Plane<int>(576, 2048);
                for (int y = 0; y < p.Height; y++)
                    foreach (ref int v in p.GetRowSpan(y)) v = 20000 + rng.Next(5000);
                _intPlanes.Add(p);
            }
        }
        Write(_fits);
        _bytes = File.ReadAllBytes(_fits);
        File.WriteAllBytes(_plain, _bytes);
    }

    /// <summary>Frees the planes and deletes the files.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _floatPlanes.ForEach(p => p.Dispose());
        _intPlanes.ForEach(p => p.Dispose());
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Bytes moved per operation (the whole file), for MB/s.</summary>
    public long FileBytes => _bytes.Length;

    /// <summary>Baseline: read the whole file into a preallocated buffer in 512 KiB reads.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Read")]
    public int PlainFileStreamRead()
    {
        using var fs = new FileStream(_plain, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        int total = 0, n;
        while ((n = fs.Read(_bytes, total, Math.Min(1 << 19, _bytes.Length - total))) > 0) total += n;
        return total;
    }

    /// <summary>Open the FITS file and read every image HDU into the preallocated planes.</summary>
    [Benchmark, BenchmarkCategory("Read")]
    public int FitsRead()
    {
        using var f = FitsFile.Open(_fits);
        for (int i = 0; i < _floatPlanes.Count; i++) f.ReadRows(f[i + 1], 0, _floatPlanes[i].AsSpan2D());
        for (int i = 0; i < _intPlanes.Count; i++) f.ReadRows(f[i + 1], 0, _intPlanes[i].AsSpan2D());
        return f.Hdus.Count;
    }

    /// <summary>Baseline: write the same number of bytes to a temporary name and rename it, as the
    /// FITS writer does, so both pay the same file-system metadata cost.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Write")]
    public void PlainFileStreamWrite()
    {
        string temp = _plain + ".tmp";
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            for (int off = 0; off < _bytes.Length; off += 1 << 19)
                fs.Write(_bytes, off, Math.Min(1 << 19, _bytes.Length - off));
        File.Move(temp, _plain, overwrite: true);
    }

    /// <summary>Write the FITS file: headers, big-endian data, CHECKSUM/DATASUM, temp-and-rename.</summary>
    [Benchmark, BenchmarkCategory("Write")]
    public void FitsWrite() => Write(_fitsOut);

    private void Write(string path)
    {
        using var w = FitsWriter.Create(path);
        var primary = new FitsHeader();
        primary.Set("DETNAME", "R22_S11");
        w.WriteEmpty(primary);
        foreach (var p in _floatPlanes) w.WriteImage<float>(null, p.AsSpan2D());
        for (int i = 0; i < _intPlanes.Count; i++)
        {
            var h = new FitsHeader();
            h.Set("EXTNAME", $"Segment{(i < 8 ? 10 + i : 7 - (i - 8)):00}");
            w.WriteImage<int>(h, _intPlanes[i].AsSpan2D());
        }
        w.Commit();
    }
}
