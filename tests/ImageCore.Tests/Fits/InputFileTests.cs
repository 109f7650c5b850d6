using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Memory;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>Inputs that are not what they seem: directories, devices, bad names, files that shrink while read, and
/// images too large for the machine. Each is a typed error that says what is wrong.</summary>
public class InputFileTests
{
    private static string WriteImage(TempDir dir, string name, int width, int height)
    {
        string path = dir.File(name);
        var pixels = new float[height, width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) pixels[y, x] = x + 1000 * y;
        using var w = FitsWriter.Create(path);
        w.WriteImage(null, new ReadOnlySpan2D<float>(pixels));
        w.Commit();
        return path;
    }

    [Fact]
    public void A_directory_is_named_as_a_directory()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<IOException>(() => FitsFile.Open(dir.Path));
        Assert.Contains("is a directory", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    [SkippableFact]
    public void A_device_is_not_an_empty_file()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero here");
        var e = Assert.Throws<IOException>(() => FitsFile.Open("/dev/zero"));
        Assert.Contains("character device", e.Message);
        Assert.DoesNotContain("empty", e.Message);
    }

    [Fact]
    public void A_name_that_was_not_utf8_says_so()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => FitsFile.Open(dir.File("raw\uFFFD.fits")));
        Assert.Contains("not valid UTF-8", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => FitsFile.Open(dir.File("nothing.fits")));
        Assert.Contains("no such file", missing.Message);
    }

    [Fact]
    public void A_file_cut_short_while_it_is_read_reports_its_length_now()
    {
        using var dir = new TempDir();
        string path = WriteImage(dir, "shrinks.fits", 300, 200);
        using var file = FitsFile.Open(path);
        var hdu = file[0];
        long before = file.Length;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write)) fs.SetLength(hdu.DataOffset + 1000);
        var e = Assert.Throws<FitsFormatException>(() => file.ReadImage<float>(hdu).Dispose());
        Assert.Contains($"now ends at {hdu.DataOffset + 1000}", e.Message);
        Assert.Contains($"it had {before} bytes when opened", e.Message);
        var stored = Assert.Throws<FitsFormatException>(() => StoredImageData.Read(file, [hdu]).Dispose());
        Assert.Contains("now ends at", stored.Message);
    }

    [Fact]
    public void Stored_data_are_the_file_s_bytes_and_stay_valid_after_the_file_is_cut()
    {
        using var dir = new TempDir();
        string path = WriteImage(dir, "stored.fits", 37, 11);
        byte[] bytes = File.ReadAllBytes(path);
        using var file = FitsFile.Open(path);
        var hdu = file[0];
        using var stored = StoredImageData.Read(file, [hdu]);
        File.WriteAllBytes(path, []);   // nothing is mapped: the copy in memory does not care
        unsafe
        {
            var data = new ReadOnlySpan<byte>(stored.Data(hdu), (int)hdu.DataBytes);
            Assert.True(data.SequenceEqual(bytes.AsSpan((int)hdu.DataOffset, (int)hdu.DataBytes)));
        }
    }

    [Fact]
    public void A_plane_larger_than_the_machine_is_refused_before_it_is_allocated()
    {
        var e = Assert.Throws<InsufficientMemoryException>(() => new Plane<double>(200_000, 80_000).Dispose());   // 128 GB
        Assert.Contains("200000 x 80000 plane of Double", e.Message);
        Assert.Contains("MiB of memory are available", e.Message);
    }

    [Fact]
    public void Reading_an_image_larger_than_the_machine_names_the_file_and_hdu()
    {
        using var dir = new TempDir();
        string path = dir.File("huge.fits");
        // A header promising 120,000 x 120,000 doubles (115 GB), the data a sparse hole: the file holds them all.
        var card = string.Concat(
            "SIMPLE  =                    T".PadRight(80), "BITPIX  =                  -64".PadRight(80), "NAXIS   =                    2".PadRight(80),
            "NAXIS1  =               120000".PadRight(80), "NAXIS2  =               120000".PadRight(80), "END".PadRight(80));
        using (var fs = new FileStream(path, FileMode.CreateNew))
        {
            fs.Write(System.Text.Encoding.ASCII.GetBytes(card.PadRight(2880)));
            fs.SetLength(2880 + 120_000L * 120_000 * 8);
        }
        using var file = FitsFile.Open(path);
        var e = Assert.Throws<InsufficientMemoryException>(() => file.ReadImage<float>(file[0]).Dispose());
        Assert.StartsWith($"{path}, HDU 0: a 120000 x 120000 plane", e.Message);
    }

    [Fact]
    public void Statistics_stream_a_very_wide_row_in_fixed_pieces()
    {
        using var dir = new TempDir();
        const int Width = 3_000_001;
        var row = new short[1, Width];
        for (int x = 0; x < Width; x++) row[0, x] = (short)(x % 1000 - 500);
        string path = dir.File("wide.fits");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteImage(null, new ReadOnlySpan2D<short>(row));
            w.Commit();
        }
        using var file = FitsFile.Open(path);
        var stats = FitsSummary.Statistics(file, file[0]);
        double sum = 0;
        for (int x = 0; x < Width; x++) sum += row[0, x];
        Assert.Equal(Width, stats.Count);
        Assert.Equal(sum, stats.Sum);
        Assert.Equal(-500, stats.Min);
        Assert.Equal(499, stats.Max);
    }
}
