using ImageCore.Memory;

namespace ImageCore.Fits;

/// <summary>
/// The data of image HDUs read into memory exactly as stored: big-endian values, no scaling, no conversion, each HDU
/// in one 64-byte aligned pooled buffer, for a reader that swaps each value as it loads it (the source of a warp:
/// read once, so a separate swap pass would be wasted). Only HDUs stored as their values can be used this way
/// (<see cref="IsRaw"/>: float32 or int32 without BSCALE/BZERO).
/// </summary>
/// <remarks>
/// The bytes are read, not mapped: a mapped file that shrinks while it is used (a shared file system, a copy still
/// under way) kills the process with SIGBUS, which no handler can turn into an error; a read that comes up short is a
/// <see cref="FitsFormatException"/> naming the file, the HDU and its length now.
/// </remarks>
internal sealed unsafe class StoredImageData : IDisposable
{
    private readonly Dictionary<int, (nint Pointer, nuint Bytes)> _data = [];
    private readonly PlanePool _pool;

    private StoredImageData(PlanePool pool) => _pool = pool;

    /// <summary>Whether <paramref name="hdu"/> holds 2-D values of <paramref name="bitpix"/> (-32 or 32) as they are
    /// (BSCALE 1, BZERO 0), so that its stored bytes can be used directly.</summary>
    public static bool IsRaw(FitsHdu hdu, int bitpix) =>
        hdu.Type == FitsHduType.Image && hdu.Bitpix == bitpix && hdu.Axes.Count == 2 && hdu.Width is > 0 and <= int.MaxValue && hdu.Height is > 0 and <= int.MaxValue
        && hdu.Header.GetDouble("BSCALE", 1) == 1 && hdu.Header.GetDouble("BZERO", 0) == 0;

    /// <summary>Reads the data of <paramref name="hdus"/> (each <see cref="IsRaw"/>) from <paramref name="file"/>.</summary>
    /// <exception cref="FitsFormatException">The file ends before an HDU's data do (now, or while it was read).</exception>
    /// <exception cref="InsufficientMemoryException">The data are larger than the memory available.</exception>
    public static StoredImageData Read(FitsFile file, IEnumerable<FitsHdu> hdus, PlanePool? pool = null, CancellationToken cancel = default)
    {
        var stored = new StoredImageData(pool ?? PlanePool.Shared);
        try
        {
            foreach (var hdu in hdus)
            {
                if (stored._data.ContainsKey(hdu.Index)) continue;
                file.CheckPresent(hdu);
                nuint bytes = (nuint)(hdu.PixelCount * Math.Abs(hdu.Bitpix) / 8);
                byte* p;
                try { p = (byte*)stored._pool.Rent(bytes, clear: false); }
                catch (InsufficientMemoryException e) { throw new InsufficientMemoryException($"{file.Name}, HDU {hdu.Index}: {e.Message}"); }
                stored._data[hdu.Index] = ((nint)p, bytes);
                file.ReadDataBytes(hdu, p, (long)bytes, cancel);
            }
            return stored;
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    /// <summary>The first byte of <paramref name="hdu"/>'s data (rows NAXIS1 values apart, big-endian).</summary>
    /// <exception cref="KeyNotFoundException">The HDU was not read.</exception>
    public void* Data(FitsHdu hdu) =>
        _data.TryGetValue(hdu.Index, out var d) ? (void*)d.Pointer : throw new KeyNotFoundException($"HDU {hdu.Index} was not read");

    /// <summary>Returns the buffers to the pool.</summary>
    public void Dispose()
    {
        foreach (var (p, bytes) in _data.Values) _pool.Return((void*)p, bytes);
        _data.Clear();
    }
}
