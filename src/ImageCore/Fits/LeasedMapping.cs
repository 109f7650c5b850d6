using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace ImageCore.Fits;

/// <summary>
/// A FITS file mapped read-only under a Linux read lease (<c>fcntl(F_SETLEASE, F_RDLCK)</c>), so that its data can
/// be used in place: no copy and no fresh memory (on this project's VMs, faulting in fresh memory for a 195 MB exposure
/// costs more than warping it). A mapping alone is unsafe: a file cut short while it is mapped kills the process with
/// SIGBUS. The lease makes it safe: while it is held, another process that opens the file for writing or truncates it
/// is blocked by the kernel (for up to <c>/proc/sys/fs/lease-break-time</c>, 45 s by default) and the holder is told
/// (<see cref="Intact"/> turns false), so the holder stops using the mapping, fails its work cleanly
/// (<see cref="ThrowIfBroken"/>) and lets go. Where no lease can be had (another process already has the file open for
/// writing, the file belongs to another user, a network file system without leases, not Linux), <see cref="TryOpen"/>
/// returns null and the caller reads the data instead (<see cref="StoredImageData"/>).
/// </summary>
internal sealed unsafe partial class LeasedMapping : IDisposable
{
    private const int FSetSig = 10, FSetLease = 1024, FGetLease = 1025, FRdLck = 0, FUnLck = 2;
    private const int SigUrg = 23;   // the lease-break signal: ignored by default, and by .NET (F_SETSIG; SIGIO would end the process)

    private readonly FileStream _stream;
    private readonly int _fd;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private bool _disposed;

    private LeasedMapping(string path, FileStream stream, int fd)
    {
        (Path, _stream, _fd) = (path, stream, fd);
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Its length under the lease (it cannot change while the lease holds).</summary>
    public long Length { get; private set; }

    /// <summary>Maps <paramref name="path"/> under a read lease, or returns null where no lease can be had.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expectedLength">The length the caller walked the file's headers at: a shorter file now is refused.</param>
    /// <exception cref="FitsFormatException">The file is already shorter than <paramref name="expectedLength"/>.</exception>
    public static LeasedMapping? TryOpen(string path, long expectedLength)
    {
        if (!OperatingSystem.IsLinux() || _unavailable || expectedLength <= 0) return null;
        FileStream stream;
        try { stream = InputFile.OpenRead(path); }
        catch (IOException) { return null; }
        LeasedMapping? mapping = null;
        try
        {
            int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            if (fcntl(fd, FSetSig, SigUrg) != 0 || fcntl(fd, FSetLease, FRdLck) != 0)
            {
                stream.Dispose();
                return null;
            }
            mapping = new LeasedMapping(path, stream, fd);
            long length = stream.Length;   // under the lease: it cannot shrink from here on
            if (length < expectedLength)
                throw new FitsFormatException(path, -1, length, null,
                    $"truncated: the file now ends at {length} (it had {expectedLength} bytes when its headers were read: it changed while being read)");
            mapping.Length = length;
            mapping._map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            mapping._view = mapping._map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            mapping._view.SafeMemoryMappedViewHandle.AcquirePointer(ref mapping._base);
            mapping._base += mapping._view.PointerOffset;
            return mapping;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            stream.Dispose();
            return null;
        }
        catch (IOException) when (mapping is not null)
        {
            mapping.Dispose();   // a file that cannot be mapped is read instead
            return null;
        }
        catch
        {
            if (mapping is not null) mapping.Dispose();
            else stream.Dispose();
            throw;
        }
    }

    private static bool _unavailable;

    /// <summary>Whether the lease still holds: false once another process has asked to write or truncate the file
    /// (the kernel holds that process back until this mapping is disposed, or the lease-break time runs out).</summary>
    public bool Intact => _base != null && fcntl(_fd, FGetLease, 0) == FRdLck;

    /// <summary>Throws when the lease has been broken: the work using the mapping must stop and dispose of it.</summary>
    /// <exception cref="FitsFormatException">Another process opened the file for writing or truncated it.</exception>
    public void ThrowIfBroken()
    {
        if (!Intact)
            throw new FitsFormatException(Path, -1, -1, null, "another process opened the file for writing or truncated it while it was being used: stopped, nothing written");
    }

    /// <summary>The first byte of <paramref name="hdu"/>'s data (rows NAXIS1 values apart, big-endian).</summary>
    /// <exception cref="FitsFormatException">The file ends before the HDU's data do.</exception>
    public void* Data(FitsHdu hdu)
    {
        if (hdu.DataOffset + hdu.DataBytes > Length)
            throw new FitsFormatException(Path, hdu.Index, hdu.DataOffset, null, $"truncated: the data need {hdu.DataBytes} bytes from byte {hdu.DataOffset}, the file ends at {Length}");
        return _base + hdu.DataOffset;
    }

    /// <summary>Unmaps the file, then lets go of the lease and the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_base != null)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view?.Dispose();
        _map?.Dispose();
        _ = fcntl(_fd, FSetLease, FUnLck);
        _stream.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);
}
