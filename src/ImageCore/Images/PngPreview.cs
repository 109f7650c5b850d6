using System.Buffers.Binary;
using System.IO.Compression;
using CommunityToolkit.HighPerformance;

namespace ImageCore.Images;

/// <summary>
/// 8-bit grayscale PNG previews of float images with an asinh stretch, as quick looks for operators: the black
/// point is the median minus 2 robust sigmas (1.4826 x MAD of the finite pixels), and a value v maps to
/// asinh((v - black) / (3 sigma)) / asinh((top - black) / (3 sigma)), clipped to [0, 1], where top is the
/// 99.95th percentile: the sky is a dark grey, faint sources are visible and bright ones do not all saturate.
/// NaN and infinite pixels are black. Row 0 of the image (FITS's first row, the bottom) is the bottom of the PNG.
/// Images wider or taller than <c>maxSize</c> are binned by an integer factor (block means of the finite pixels).
/// </summary>
internal static class PngPreview
{
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Writes the preview of <paramref name="pixels"/> to <paramref name="path"/> (temporary name, then rename).</summary>
    /// <exception cref="ArgumentException">The image is empty.</exception>
    public static void Write(string path, ReadOnlySpan2D<float> pixels, int maxSize = 2048)
    {
        var gray = Render(pixels, maxSize, out int width, out int height);
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                Encode(stream, gray, width, height);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The stretched 8-bit pixels, top row first (as a PNG stores them), after binning to at most
    /// <paramref name="maxSize"/> on a side.</summary>
    public static byte[] Render(ReadOnlySpan2D<float> pixels, int maxSize, out int width, out int height)
    {
        if (pixels.Width == 0 || pixels.Height == 0) throw new ArgumentException("an empty image has no preview");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSize, 1);
        int bin = (int)Math.Max(1, Math.Ceiling(Math.Max(pixels.Width, pixels.Height) / (double)maxSize));
        width = (int)(pixels.Width / bin);
        height = pixels.Height / bin;
        if (width == 0 || height == 0) (width, height, bin) = ((int)pixels.Width, pixels.Height, 1);
        var binned = new float[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                int n = 0;
                for (int dy = 0; dy < bin; dy++)
                    for (int dx = 0; dx < bin; dx++)
                    {
                        float v = pixels[y * bin + dy, x * bin + dx];
                        if (float.IsFinite(v)) { sum += v; n++; }
                    }
                binned[y * width + x] = n > 0 ? (float)(sum / n) : float.NaN;
            }
        var finite = binned.Where(float.IsFinite).ToArray();
        var gray = new byte[width * height];
        if (finite.Length == 0) return gray;
        Array.Sort(finite);
        double median = finite[finite.Length / 2];
        var deviations = finite.Select(v => Math.Abs(v - median)).ToArray();
        Array.Sort(deviations);
        double sigma = 1.4826 * deviations[deviations.Length / 2];
        double top = finite[Math.Min(finite.Length - 1, (int)(0.9995 * finite.Length))];
        if (!(sigma > 0)) sigma = Math.Max((top - finite[0]) / 10, 1e-30);
        double black = median - 2 * sigma, soft = 3 * sigma;
        double norm = Math.Asinh(Math.Max((top - black) / soft, 1));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float v = binned[y * width + x];
                double t = float.IsFinite(v) ? Math.Asinh(Math.Max(0, v - black) / soft) / norm : 0;
                gray[(height - 1 - y) * width + x] = (byte)Math.Clamp(Math.Round(255 * t), 0, 255);
            }
        return gray;
    }

    /// <summary>Writes a PNG (8-bit grayscale, filter 0, zlib) of <paramref name="gray"/> (top row first).</summary>
    public static void Encode(Stream stream, ReadOnlySpan<byte> gray, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (gray.Length != width * height) throw new ArgumentException($"{gray.Length} pixels for a {width}x{height} image");
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;   // bit depth; colour type 0 (grayscale), compression 0, filter 0, no interlace
        WriteChunk(stream, "IHDR", ihdr);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);   // filter type None
                z.Write(gray.Slice(y * width, width));
            }
        }
        WriteChunk(stream, "IDAT", compressed.ToArray());
        WriteChunk(stream, "IEND", []);
    }

    /// <summary>The CRC-32 (ISO 3309, as PNG uses) of <paramref name="data"/> continuing from <paramref name="crc"/>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        Span<byte> name = stackalloc byte[4];
        for (int i = 0; i < 4; i++) name[i] = (byte)type[i];
        stream.Write(name);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(data, Crc32(name)));
        stream.Write(word);
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
