using System.Runtime.InteropServices;

namespace ImageCore.Fits;

/// <summary>
/// Opens an input file for reading, saying plainly what is wrong when it cannot be: no such file, a directory, a
/// device, pipe or socket (whose length means nothing and whose open can block), no permission, or a name that is not
/// valid UTF-8 (which .NET receives with U+FFFD in place of the bad bytes, and so cannot open).
/// </summary>
internal static partial class InputFile
{
    /// <summary>Opens <paramref name="path"/>, a regular file, for positional reads (no buffering), sharing reads.</summary>
    /// <exception cref="FileNotFoundException">No such file (or directory on its path).</exception>
    /// <exception cref="IOException">A directory, not a regular file, a name that is not valid UTF-8, or unreadable.</exception>
    public static FileStream OpenRead(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) throw new FileNotFoundException("an empty file name was given", path);
        CheckKind(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Missing(path);
        }
        catch (UnauthorizedAccessException)
        {
            throw new IOException($"{path}: permission denied (the file cannot be read by this user)");
        }
    }

    /// <summary>The file's current length, or -1 when it cannot be found out (for messages about a file that changed
    /// while it was read).</summary>
    public static long CurrentLength(string path)
    {
        try { return new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException) { return -1; }
    }

    /// <summary>Refuses what is not a regular file, before opening it (opening a pipe can block).</summary>
    private static void CheckKind(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"{path}: is a directory, not a file");
        string? kind = NotRegular(path);
        if (kind is not null) throw new IOException($"{path}: is a {kind}, not a regular file");
        if (!File.Exists(path)) throw Missing(path);
    }

    private static FileNotFoundException Missing(string path)
    {
        if (path.Contains('\uFFFD'))
            return new FileNotFoundException($"{path}: no such file; the name holds bytes that are not valid UTF-8 (shown as \uFFFD), "
                                             + "which .NET programs cannot open: rename the file", path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir)) return new FileNotFoundException($"{path}: no such file (no directory {dir})", path);
        return new FileNotFoundException($"{path}: no such file", path);
    }

    private static bool _noStatx = !OperatingSystem.IsLinux();

    /// <summary>"character device", "block device", "pipe (FIFO)" or "socket" for such a file; null for a regular file,
    /// a missing one, or where the type cannot be asked (not Linux).</summary>
    private static unsafe string? NotRegular(string path)
    {
        if (_noStatx) return null;
        const int AtFdCwd = -100, StatxType = 1, ModeOffset = 28;   // struct statx: stx_mode (u16) at byte 28 on every architecture
        byte* buffer = stackalloc byte[256];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _noStatx = true;
            return null;
        }
        int type = *(ushort*)(buffer + ModeOffset) & 0xF000;
        return type switch
        {
            0x2000 => "character device",
            0x6000 => "block device",
            0x1000 => "pipe (FIFO)",
            0xC000 => "socket",
            _ => null,
        };
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
