using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using CommunityToolkit.HighPerformance;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Images;

public class PngPreviewTests
{
    /// <summary>Reads a PNG back: checks the signature, every chunk's CRC, IHDR (8-bit grayscale), and inflates IDAT.</summary>
    internal static (int Width, int Height, byte[] Pixels) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int pos = 8, width = 0, height = 0;
        using var idat = new MemoryStream();
        var types = new List<string>();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(crc, PngPreview.Crc32(png.AsSpan(pos + 4, length + 4)));
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(new byte[] { 8, 0, 0, 0, 0 }, data[8..13].ToArray());
            }
            if (type == "IDAT") idat.Write(data);
            pos += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        Assert.Equal((width + 1) * height, rows.Length);
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, rows[y * (width + 1)]);
            Array.Copy(rows, y * (width + 1) + 1, pixels, y * width, width);
        }
        return (width, height, pixels);
    }

    [Fact]
    public void Crc32_matches_the_standard_check_values()
    {
        Assert.Equal(0xCBF43926u, PngPreview.Crc32("123456789"u8));       // the CRC-32 check value
        Assert.Equal(0xAE426082u, PngPreview.Crc32("IEND"u8));            // every PNG's last four bytes
    }

    [Fact]
    public void A_star_field_previews_as_dark_sky_with_bright_stars_bottom_row_last()
    {
        using var dir = new TempDir();
        var rng = new Random(5);
        var img = new float[90, 120];
        for (int y = 0; y < 90; y++)
            for (int x = 0; x < 120; x++) img[y, x] = 1000 + 30 * (float)(rng.NextDouble() - 0.5);
        for (int y = 10; y < 14; y++)
            for (int x = 20; x < 24; x++) img[y, x] = 50000;   // a "star" near the bottom left
        img[80, 100] = float.NaN;
        string path = dir.File("p.png");
        PngPreview.Write(path, new ReadOnlySpan2D<float>(img));
        var (w, h, px) = Decode(File.ReadAllBytes(path));
        Assert.Equal((120, 90), (w, h));
        Assert.Equal(255, px[(h - 1 - 11) * w + 21]);               // FITS row 11 is PNG row h - 12
        Assert.Equal(0, px[(h - 1 - 80) * w + 100]);                // NaN is black
        var sky = px.Where(b => b > 0 && b < 255).ToList();
        Assert.True(sky.Count > w * h / 2);
        Assert.InRange(sky.Average(b => (double)b), 10, 160);          // sky is a dark grey, not black or white
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Large_images_are_binned_and_empty_or_all_nan_images_are_handled()
    {
        var big = new float[300, 500];
        var gray = PngPreview.Render(new ReadOnlySpan2D<float>(big), maxSize: 100, out int w, out int h);
        Assert.Equal((100, 60), (w, h));
        Assert.Equal(w * h, gray.Length);
        var nan = new float[4, 4];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) nan[y, x] = float.NaN;
        Assert.All(PngPreview.Render(new ReadOnlySpan2D<float>(nan), 10, out _, out _), b => Assert.Equal(0, b));
        Assert.Throws<ArgumentException>(() => PngPreview.Render(new ReadOnlySpan2D<float>(new float[0, 0]), 10, out _, out _));
    }
}
