using System.IO.MemoryMappedFiles;

namespace ImageCore.Fits;

/// <summary>
/// A FITS file mapped read-only into memory instead of read: the data of its image HDUs stay big-endian where the page
/// cache holds them, and a reader swaps each value as it loads it. For large planes read once (the source of a warp)
/// this spares the fresh memory and the copy that reading takes. Only HDUs stored as their values can be used this
/// way (<see cref="IsRaw"/>: float32 or int32 without BSCALE/BZERO). The file must not shrink while it is mapped.
/// </summary>
internal sealed unsafe class MappedFitsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private MappedFitsFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        (Path, Length, _map, _view) = (path, length, map, view);
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += view.PointerOffset;
    }

    /// <summary>Maps <paramref name="file"/>'s file, <paramref name="path"/> (already opened and walked as FITS).</summary>
    /// <exception cref="IOException">The file cannot be mapped.</exception>
    public static MappedFitsFile Open(string path, FitsFile file)
    {
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try { return new MappedFitsFile(path, file.Length, map, map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read)); }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Its length when mapped.</summary>
    public long Length { get; }

    /// <summary>Whether <paramref name="hdu"/> holds 2-D values of <paramref name="bitpix"/> (-32 or 32) as they are
    /// (BSCALE 1, BZERO 0), so that its mapped data can be used directly.</summary>
    public static bool IsRaw(FitsHdu hdu, int bitpix) =>
        hdu.Type == FitsHduType.Image && hdu.Bitpix == bitpix && hdu.Axes.Count == 2 && hdu.Width is > 0 and <= int.MaxValue && hdu.Height is > 0 and <= int.MaxValue
        && hdu.Header.GetDouble("BSCALE", 1) == 1 && hdu.Header.GetDouble("BZERO", 0) == 0;

    /// <summary>The first byte of <paramref name="hdu"/>'s data (rows NAXIS1 values apart, big-endian).</summary>
    /// <exception cref="FitsFormatException">The file ends before the HDU's data do.</exception>
    public void* Data(FitsHdu hdu)
    {
        if (hdu.DataOffset + hdu.DataBytes > Length)
            throw new FitsFormatException(Path, hdu.Index, hdu.DataOffset, null, $"truncated: the data need {hdu.DataBytes} bytes from byte {hdu.DataOffset}, the file ends at {Length}");
        return _base + hdu.DataOffset;
    }

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
