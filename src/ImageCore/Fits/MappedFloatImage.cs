using System.IO.MemoryMappedFiles;

namespace ImageCore.Fits;

/// <summary>
/// A float32 image HDU (BITPIX -32, BSCALE 1, BZERO 0) mapped read-only from its file instead of read into memory:
/// its pixels stay big-endian, where the page cache holds them, and a reader swaps each value as it loads it. For a
/// large image read once (the source of a warp) this spares the fresh memory and the copy that reading takes. The file
/// must not shrink while it is mapped.
/// </summary>
internal sealed unsafe class MappedFloatImage : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private MappedFloatImage(MemoryMappedFile map, MemoryMappedViewAccessor view, long dataOffset, int width, int height)
    {
        (_map, _view, Width, Height) = (map, view, width, height);
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        BigEndianPixels = (float*)(_base + view.PointerOffset + dataOffset);
    }

    /// <summary>Whether <paramref name="hdu"/> can be mapped: a 2-D float32 image stored as its values (no BSCALE/BZERO).</summary>
    public static bool CanMap(FitsHdu hdu) =>
        hdu.Type == FitsHduType.Image && hdu.Bitpix == -32 && hdu.Axes.Count == 2 && hdu.Width is > 0 and <= int.MaxValue && hdu.Height is > 0 and <= int.MaxValue
        && hdu.Header.GetDouble("BSCALE", 1) == 1 && hdu.Header.GetDouble("BZERO", 0) == 0;

    /// <summary>Maps image HDU <paramref name="hdu"/> of <paramref name="file"/> (opened at <paramref name="path"/>).</summary>
    /// <exception cref="ArgumentException">The HDU cannot be mapped (<see cref="CanMap"/>).</exception>
    /// <exception cref="FitsFormatException">The file ends before the HDU's data do.</exception>
    public static MappedFloatImage Map(string path, FitsFile file, FitsHdu hdu)
    {
        if (!CanMap(hdu)) throw new ArgumentException($"{path}, HDU {hdu.Index}: only 2-D float32 images without BSCALE/BZERO are mapped", nameof(hdu));
        if (hdu.DataOffset + hdu.DataBytes > file.Length)
            throw new FitsFormatException(path, hdu.Index, hdu.DataOffset, null, $"truncated: the data need {hdu.DataBytes} bytes from byte {hdu.DataOffset}, the file ends at {file.Length}");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFloatImage(map, view, hdu.DataOffset, (int)hdu.Width, (int)hdu.Height);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>The first pixel (row 0, column 0), big-endian; rows <see cref="Width"/> floats apart.</summary>
    public float* BigEndianPixels { get; }

    /// <summary>NAXIS1.</summary>
    public int Width { get; }

    /// <summary>NAXIS2.</summary>
    public int Height { get; }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view.Dispose();
        _map.Dispose();
    }
}
