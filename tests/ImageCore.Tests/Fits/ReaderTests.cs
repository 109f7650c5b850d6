using System.Text;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;

namespace ImageCore.Tests.Fits;

public class ReaderTests
{
    /// <summary>A stream that counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            BytesRead += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static byte[] ThreeBigHdus()
    {
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteEmpty(null);
            foreach (string name in new[] { "A", "B", "C" })
            {
                var h = new FitsHeader();
                h.Set("EXTNAME", name);
                var data = Enumerable.Range(0, 300 * 200).Select(i => (float)i + name[0]).ToArray();
                w.WriteImage(h, new ReadOnlySpan2D<float>(data, 200, 300));
            }
            w.Commit();
        }
        return ms.ToArray();
    }

    [Fact]
    public void Reading_one_hdu_reads_only_its_bytes_and_the_headers_before_it()
    {
        byte[] bytes = ThreeBigHdus();
        using var counting = new CountingStream(new MemoryStream(bytes));
        using var f = new FitsFile(counting, "mem");
        var b = f.GetHdu("B");
        long headers = counting.BytesRead;
        Assert.Equal(3 * 2880, headers);   // primary, A and B headers; no data
        using var plane = f.ReadImage<float>(b);
        Assert.Equal(headers + b.DataBytes, counting.BytesRead);
        Assert.Equal(0f + 'B', plane[0, 0]);
        Assert.Equal(299f * 1 + 199 * 300 + 'B', plane[299, 199]);
    }

    [Fact]
    public void Hdus_are_found_by_name_and_version_and_tables_are_skipped()
    {
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteEmpty(null);
            for (int v = 1; v <= 2; v++)
            {
                var h = new FitsHeader();
                h.Set("EXTNAME", "DUP");
                h.Set("EXTVER", v);
                w.WriteImage(h, new ReadOnlySpan2D<short>(new short[] { (short)v }, 1, 1));
            }
            w.Commit();
        }
        using var f = new FitsFile(new MemoryStream(ms.ToArray()), "mem");
        Assert.Equal(1, f.GetHdu("DUP").ExtVer);
        Assert.Equal(2, f.GetHdu("DUP", 2).Index);
        Assert.Null(f.FindHdu("DUP", 3));
        Assert.Throws<KeyNotFoundException>(() => f.GetHdu("NONE"));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.GetHdu(3));
    }

    private static byte[] Header(params string[] cards)
    {
        string text = string.Concat(cards.Select(c => c.PadRight(80))) + "END".PadRight(80);
        int blocks = (text.Length + 2879) / 2880;
        return Encoding.ASCII.GetBytes(text.PadRight(blocks * 2880));
    }

    [Theory]
    [InlineData("not a FITS file", "BITPIX  = 8")]
    [InlineData("BITPIX", "SIMPLE  = T", "BITPIX  = 12", "NAXIS   = 0")]
    [InlineData("NAXIS1", "SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 1", "NAXIS1  = -5")]
    [InlineData("truncated", "SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 1", "NAXIS1  = 100000")]
    [InlineData("more data than a file", "SIMPLE  = T", "BITPIX  = 64", "NAXIS   = 3", "NAXIS1  = 9223372036854775807", "NAXIS2  = 2", "NAXIS3  = 2")]
    [InlineData("NAXIS", "SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 1000")]
    [InlineData("must be card", "SIMPLE  = T", "NAXIS   = 0", "BITPIX  = 8")]
    public void Structural_errors_are_FitsFormatException_naming_the_problem(string expected, params string[] cards)
    {
        var e = Assert.Throws<FitsFormatException>(() => new FitsFile(new MemoryStream(Header(cards)), "bad.fits").Hdus.Count);
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.fits", e.Message);
    }

    [Fact]
    public void Missing_END_and_non_fits_bytes_are_rejected()
    {
        byte[] noEnd = Encoding.ASCII.GetBytes("SIMPLE  =                    T".PadRight(2880));
        var e1 = Assert.Throws<FitsFormatException>(() => new FitsFile(new MemoryStream(noEnd), "noend.fits"));
        Assert.Contains("END", e1.Message);
        var e2 = Assert.Throws<FitsFormatException>(() => new FitsFile(new MemoryStream(new byte[100]), "tiny.fits"));
        Assert.Contains("tiny.fits, HDU 0", e2.Message);
        var e3 = Assert.Throws<FitsFormatException>(() => new FitsFile(new MemoryStream(new byte[5760]), "zeros.fits"));
        Assert.Contains("not a FITS file", e3.Message);
    }

    [Fact]
    public void Garbage_after_the_last_hdu_is_reported_with_its_offset()
    {
        byte[] good = Header("SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 0");
        byte[] bad = [.. good, .. Encoding.ASCII.GetBytes(new string('z', 2880))];
        var e = Assert.Throws<FitsFormatException>(() => new FitsFile(new MemoryStream(bad), "tail.fits").Hdus.Count);
        Assert.Equal(1, e.HduIndex);
        Assert.Equal(2880, e.Offset);
    }

    [Fact]
    public void Checksum_verification_detects_a_changed_byte()
    {
        byte[] bytes = ThreeBigHdus();
        using (var ok = new FitsFile(new MemoryStream(bytes), "ok"))
            Assert.All(ok.Hdus, h => Assert.Equal(new FitsChecksumResult(true, true), ok.VerifyChecksum(h)));
        using var f0 = new FitsFile(new MemoryStream(bytes), "x");
        long at = f0.GetHdu("B").DataOffset + 1000;
        bytes[at] ^= 0x10;
        using var f = new FitsFile(new MemoryStream(bytes), "bad");
        var r = f.VerifyChecksum(f.GetHdu("B"));
        Assert.False(r.Checksum);
        Assert.False(r.Datasum);
        Assert.True(f.VerifyChecksum(f.GetHdu("A")).IsValid);
    }

    [Theory]
    [InlineData(1000, 300, 7)]   // gap-free rows, chunks that end mid-row
    [InlineData(64, 40, 0)]      // a plane whose rows fill whole cache lines (no padding)
    [InlineData(37, 23, 5)]      // padded plane rows
    public void Partial_reads_into_contiguous_and_padded_destinations_agree(int width, int height, int firstRow)
    {
        var data = Enumerable.Range(0, width * height).Select(i => (float)(i * 0.5)).ToArray();
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteImage(null, new ReadOnlySpan2D<float>(data, height, width));
            w.Commit();
        }
        using var f = new FitsFile(new MemoryStream(ms.ToArray()), "mem");
        int rows = height - firstRow;
        var flat = new float[rows * width];
        f.ReadRows(f[0], firstRow, new Span2D<float>(flat, rows, width));
        Assert.Equal(data.AsSpan(firstRow * width).ToArray(), flat);
        using var plane = new ImageCore.Memory.Plane<float>(width, rows);
        f.ReadRows(f[0], firstRow, plane.AsSpan2D());
        for (int y = 0; y < rows; y++) Assert.Equal(data.AsSpan((firstRow + y) * width, width).ToArray(), plane.GetRowSpan(y).ToArray());
    }

    [Theory]
    [InlineData(true)]    // a file: positional reads
    [InlineData(false)]   // any other stream: seek and read under a lock
    public void Row_reads_from_several_threads_at_once_get_their_own_rows(bool onDisk)
    {
        const int width = 513, height = 900;
        var rng = new Random(11);
        var data = Enumerable.Range(0, width * height).Select(_ => (float)rng.NextDouble()).ToArray();
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteEmpty(null);
            w.WriteImage(null, new ReadOnlySpan2D<float>(data, height, width));
            w.Commit();
        }
        using var dir = new ImageCore.Tests.Support.TempDir();
        string path = Path.Combine(dir.Path, "rows.fits");
        File.WriteAllBytes(path, ms.ToArray());
        using var f = onDisk ? FitsFile.Open(path) : new FitsFile(new MemoryStream(ms.ToArray()), "mem");
        var hdu = f[1];
        var bands = Enumerable.Range(0, 400).Select(i => (First: rng.Next(height), Rows: 1 + rng.Next(40))).Select(b => (b.First, Rows: Math.Min(b.Rows, height - b.First))).ToArray();
        var wrong = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, bands.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var (first, rows) = bands[i];
            var got = new float[rows * width];
            f.ReadRows(hdu, first, new Span2D<float>(got, rows, width));
            if (!got.AsSpan().SequenceEqual(data.AsSpan(first * width, rows * width))) wrong.Add(i);
        });
        Assert.Empty(wrong);
    }
}
