using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CommunityToolkit.HighPerformance;
using ImageCore.Memory;
using ImageCore.Simd;

namespace ImageCore.Fits;

/// <summary>
/// Writes a FITS file HDU by HDU: the first HDU written is the primary, the rest IMAGE extensions.
/// Mandatory keywords are written first and in order; CHECKSUM and DATASUM are written on every HDU.
/// <see cref="Create(string)"/> writes to a temporary name in the same directory and <see cref="Commit"/>
/// renames it to the final name, so a failure never leaves a half-written file under that name.
/// </summary>
/// <remarks>
/// <para><b>Nothing is written under the final name until <see cref="Commit"/>.</b> Disposing a writer that was not
/// committed (an exception, or a forgotten <c>Commit()</c>) deletes the temporary file and leaves no file at all;
/// <see cref="Dispose"/> cannot tell the two apart and never throws, so that it cannot hide the exception that
/// unwound the <c>using</c>. <see cref="Write(string, Action{FitsWriter}, bool, CancellationToken)"/> and
/// <see cref="Fits.WriteImage{T}(string, ReadOnlySpan2D{T}, FitsHeader?, bool, CancellationToken)"/> commit for you:</para>
/// <code>
/// FitsWriter.Write(path, w =>
/// {
///     w.WriteEmpty(metadata);
///     w.WriteImage(sciHeader, science);
/// });   // committed here; nothing left under path if the lambda throws
/// </code>
/// <para>After a write fails or is cancelled part-way through an HDU, the writer refuses further writes and
/// <see cref="Commit"/>: the file could only be corrupt.</para>
/// </remarks>
public sealed partial class FitsWriter : IDisposable
{
    private static readonly Regex Structural = new(@"^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|END|BZERO|BSCALE|BLANK|CHECKSUM|DATASUM)$", RegexOptions.CultureInvariant);

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly string? _tempPath;
    private readonly string? _finalPath;
    private readonly bool _overwrite = true;
    private bool _committed, _disposed, _failed;
    private CancellationToken _cancel;
    private readonly List<IBandedHdu> _banded = [];

    /// <summary>Writes FITS data to a seekable stream (no temporary file; the caller owns the stream).</summary>
    /// <param name="stream">A writable, seekable stream.</param>
    /// <param name="name">Name for error messages.</param>
    public FitsWriter(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite || !stream.CanSeek) throw new ArgumentException("FITS writing needs a writable, seekable stream", nameof(stream));
        _stream = stream;
        Name = name;
    }

    private FitsWriter(FileStream stream, string tempPath, string finalPath, bool overwrite)
    {
        _stream = stream;
        _ownsStream = true;
        _tempPath = tempPath;
        _finalPath = finalPath;
        _overwrite = overwrite;
        Name = finalPath;
    }

    /// <summary>Starts a new file at <paramref name="path"/>, replacing any file there when committed (as
    /// <see cref="Create(string, bool)"/> with <c>overwrite: true</c>). Data go to a temporary file beside it;
    /// <b>you must call <see cref="Commit"/></b> to give the file its name: disposing without committing deletes the
    /// temporary file and leaves nothing under <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The directory is not writable.</exception>
    public static FitsWriter Create(string path) => Create(path, overwrite: true);

    /// <summary>Starts a new file at <paramref name="path"/>. Data go to a temporary file beside it; <b>you must call
    /// <see cref="Commit"/></b> to give the file its name: disposing without committing deletes the temporary file
    /// and leaves nothing under <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Replace a file already at <paramref name="path"/> on commit. When false (astropy's
    /// <c>writeto</c> default) an existing file is refused now, and again at <see cref="Commit"/> if one appeared
    /// meanwhile.</param>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false (the
    /// message names the path), or the directory is not writable.</exception>
    public static FitsWriter Create(string path, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!overwrite && (File.Exists(full) || Directory.Exists(full))) throw Exists(full);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        return new FitsWriter(fs, temp, full, overwrite);
    }

    /// <summary>Writes a file in one scoped call: <paramref name="write"/> adds the HDUs to a new writer, which is
    /// committed when it returns. If it throws (or <paramref name="cancel"/> is cancelled) nothing is left under
    /// <paramref name="path"/> and the exception propagates unchanged. <paramref name="write"/> may commit the
    /// writer itself; it must not dispose it.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the HDUs (the first is the primary).</param>
    /// <param name="overwrite">Replace a file already at <paramref name="path"/>; false refuses it, as astropy's
    /// <c>writeto</c> does by default.</param>
    /// <param name="cancel">Checked before the call, between pixel chunks of every image the writer writes, and
    /// before the commit.</param>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false, or
    /// writing failed.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="write"/> wrote no HDU.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static void Write(string path, Action<FitsWriter> write, bool overwrite = false, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        cancel.ThrowIfCancellationRequested();
        using var writer = Create(path, overwrite);
        writer._cancel = cancel;
        write(writer);
        if (writer.IsCommitted) return;
        cancel.ThrowIfCancellationRequested();
        writer.Commit();
    }

    /// <summary>True once <see cref="Commit"/> has succeeded: the file is complete under its name.</summary>
    public bool IsCommitted => _committed;

    /// <summary>The file name used in messages (the final path for files).</summary>
    public string Name { get; }

    /// <summary>HDUs written so far.</summary>
    public int HduCount { get; private set; }

    /// <summary>Writes an HDU without data (NAXIS = 0): the empty primary HDU that holds metadata in
    /// the afw layout, or an empty IMAGE extension.</summary>
    /// <param name="header">User cards; structural keywords in it are ignored (the writer sets them).</param>
    /// <exception cref="IOException">Writing failed (the writer then refuses further writes).</exception>
    /// <exception cref="InvalidOperationException">The writer is committed, disposed, or an earlier write failed.</exception>
    public void WriteEmpty(FitsHeader? header)
    {
        ThrowIfDone();
        try
        {
            var (cards, start) = BeginHdu(Mandatory(8, []), header);
            EndHdu(cards, start, 0, 0);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Writes an image HDU. The pixel type sets BITPIX: byte 8, short 16, int 32, long 64,
    /// float -32, double -64; sbyte, ushort, uint and ulong use the BZERO conventions for signed bytes
    /// and unsigned integers.</summary>
    /// <param name="header">User cards (EXTNAME, metadata); structural keywords in it are ignored.</param>
    /// <param name="pixels">The image; rows become NAXIS2.</param>
    /// <param name="options">Axes, BSCALE/BZERO and BLANK for integer types.</param>
    /// <param name="cancel">Checked between chunks of pixels; a cancelled write leaves the writer unusable (dispose
    /// it: nothing is left under the final name).</param>
    /// <exception cref="ArgumentException">Options that do not fit the pixel type (nothing is written; the writer
    /// stays usable).</exception>
    /// <exception cref="IOException">Writing failed (the writer then refuses further writes).</exception>
    /// <exception cref="InvalidOperationException">The writer is committed, disposed, or an earlier write failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public void WriteImage<T>(FitsHeader? header, ReadOnlySpan2D<T> pixels, FitsImageOptions? options = null, CancellationToken cancel = default)
        where T : unmanaged, INumber<T>
    {
        ThrowIfDone();
        options ??= new FitsImageOptions();
        var (bitpix, conventionZero, xor) = Storage<T>();
        long count = (long)pixels.Width * pixels.Height;
        long[] axes = options.Axes ?? (options.OneDimensional && pixels.Height == 1 ? [pixels.Width] : [pixels.Width, pixels.Height]);
        long product = axes.Length == 0 ? 0 : axes.Aggregate(1L, (a, b) => checked(a * b));
        if (axes.Any(a => a < 0) || product != count)
            throw new ArgumentException($"{Name}: axes [{string.Join(", ", axes)}] do not hold {pixels.Width} x {pixels.Height} pixels", nameof(options));

        var scaling = new List<FitsCard>();
        bool integer = bitpix > 0;
        if (conventionZero is double cz)
        {
            if (options.BScale != 1 || options.BZero != 0)
                throw new ArgumentException($"{typeof(T).Name} pixels use BZERO = {cz} already; BSCALE/BZERO options must stay 1/0", nameof(options));
            // Integer cards, as astropy and cfitsio write them (astropy 5.2 cannot read int8 data whose
            // BZERO is the real -128.0).
            scaling.Add(FitsCard.Integer("BSCALE", 1, "default scaling factor"));
            scaling.Add(FitsCard.Integer("BZERO", new BigInteger(cz), "offset data range to that of unsigned integers"));
        }
        else if (options.BScale != 1 || options.BZero != 0)
        {
            if (!integer) throw new ArgumentException($"{Name}: BSCALE/BZERO apply to integer pixels only, not {typeof(T).Name}", nameof(options));
            if (options.BScale == 0 || !double.IsFinite(options.BScale) || !double.IsFinite(options.BZero))
                throw new ArgumentException($"{Name}: BSCALE must be finite and non-zero, BZERO finite", nameof(options));
            scaling.Add(FitsCard.Real("BSCALE", options.BScale));
            scaling.Add(FitsCard.Real("BZERO", options.BZero));
        }
        if (options.Blank is long blank)
        {
            if (!integer) throw new ArgumentException($"{Name}: BLANK applies to integer pixels only, not {typeof(T).Name}", nameof(options));
            scaling.Add(FitsCard.Integer("BLANK", blank, "stored value of undefined pixels"));
        }

        var cards = Mandatory(bitpix, axes);
        cards.AddRange(scaling);
        int size = Math.Abs(bitpix) / 8;
        ulong reversedXor = size switch
        {
            1 => xor,
            2 => BinaryPrimitives.ReverseEndianness((ushort)xor),
            4 => BinaryPrimitives.ReverseEndianness((uint)xor),
            _ => BinaryPrimitives.ReverseEndianness(xor),
        };
        CheckCancel(cancel);
        try
        {
            var (all, start) = BeginHdu(cards, header);
            ulong acc = WritePixels(pixels, size, reversedXor, 0, cancel);
            EndHdu(all, start, count * size, acc);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Writes an image HDU from a writable view (the type argument is inferred, which a
    /// <see cref="ReadOnlySpan2D{T}"/> parameter would not do for a <see cref="Span2D{T}"/>): as
    /// <see cref="WriteImage{T}(FitsHeader?, ReadOnlySpan2D{T}, FitsImageOptions?, CancellationToken)"/>.</summary>
    /// <param name="header">User cards (EXTNAME, metadata); structural keywords in it are ignored.</param>
    /// <param name="pixels">The image; rows become NAXIS2.</param>
    /// <param name="options">Axes, BSCALE/BZERO and BLANK for integer types.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <exception cref="ArgumentException">Options that do not fit the pixel type.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public void WriteImage<T>(FitsHeader? header, Span2D<T> pixels, FitsImageOptions? options = null, CancellationToken cancel = default)
        where T : unmanaged, INumber<T> => WriteImage(header, (ReadOnlySpan2D<T>)pixels, options, cancel);

    /// <summary>Writes a plane (as <see cref="FitsFile.ReadImage{T}(FitsHdu, bool, CancellationToken)"/> returns it) as
    /// an image HDU: as <see cref="WriteImage{T}(FitsHeader?, ReadOnlySpan2D{T}, FitsImageOptions?, CancellationToken)"/>.
    /// The plane stays the caller's.</summary>
    /// <param name="header">User cards (EXTNAME, metadata); structural keywords in it are ignored.</param>
    /// <param name="pixels">The image; rows become NAXIS2.</param>
    /// <param name="options">Axes, BSCALE/BZERO and BLANK for integer types.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <exception cref="ArgumentException">Options that do not fit the pixel type.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public void WriteImage<T>(FitsHeader? header, Plane<T> pixels, FitsImageOptions? options = null, CancellationToken cancel = default)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(pixels);
        WriteImage(header, (ReadOnlySpan2D<T>)pixels.AsSpan2D(), options, cancel);
    }

    /// <summary>
    /// Begins a 2-D image HDU whose rows are written afterwards, a band at a time and in any order, through the returned
    /// <see cref="FitsImageBands{T}"/>: the header is written now (with placeholder checksums) and the data area is
    /// reserved, so several such HDUs can be filled together (the planes of an exposure, band by band, without holding
    /// them whole). Pixels of 4 or 8 bytes (int, float, long, double). <see cref="Commit"/> needs every row of every
    /// such HDU written; each HDU's DATASUM and CHECKSUM are then filled in.
    /// </summary>
    /// <param name="header">User cards (EXTNAME, metadata); structural keywords in it are ignored.</param>
    /// <param name="width">NAXIS1.</param>
    /// <param name="height">NAXIS2.</param>
    /// <exception cref="NotSupportedException">A pixel type of 1 or 2 bytes, or one that needs BZERO.</exception>
    public FitsImageBands<T> BeginImage<T>(FitsHeader? header, int width, int height) where T : unmanaged, INumber<T>
    {
        ThrowIfDone();
        var (bitpix, conventionZero, _) = Storage<T>();
        if (conventionZero is not null || Math.Abs(bitpix) < 32)
            throw new NotSupportedException($"{Name}: band-wise writing takes pixels of 4 or 8 bytes without BZERO, not {typeof(T).Name}");
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        List<FitsCard> cards;
        long start, dataStart;
        try
        {
            (cards, start) = BeginHdu(Mandatory(bitpix, [width, height]), header);
            dataStart = _stream.Position;
            long dataBytes = (long)width * height * (Math.Abs(bitpix) / 8), padded = FitsConstants.PadToBlock(dataBytes);
            if (padded > dataBytes)
            {
                // The padding (zeros) now, at the data area's end; the rows go in before it.
                _stream.Position = dataStart + dataBytes;
                _stream.Write(new byte[padded - dataBytes]);
            }
            else _stream.Position = dataStart + padded;
        }
        catch
        {
            _failed = true;
            throw;
        }
        var bands = new FitsImageBands<T>(this, cards, start, dataStart, width, height);
        _banded.Add(bands);
        HduCount++;
        return bands;
    }

    /// <summary><paramref name="bytes"/> at byte <paramref name="offset"/> of the file, the stream's position unchanged
    /// (a positional write for a file on disk, safe from several threads; otherwise a seek and write under a lock).</summary>
    internal void WriteAt(ReadOnlySpan<byte> bytes, long offset)
    {
        if (_stream is FileStream file)
        {
            RandomAccess.Write(file.SafeFileHandle, bytes, offset);
            return;
        }
        lock (_stream)
        {
            long end = _stream.Position;
            _stream.Position = offset;
            _stream.Write(bytes);
            _stream.Position = end;
        }
    }

    /// <summary>Rewrites a header with its final DATASUM and CHECKSUM, once its data's sum is known.</summary>
    internal void FinishHeader(List<FitsCard> cards, long headerStart, uint dataSum)
    {
        string datasum = dataSum.ToString(CultureInfo.InvariantCulture);
        byte[] zeroed = EncodeHeader(cards, datasum, FitsChecksum.Placeholder);
        uint headerSum = OnesComplementSum.Fold(OnesComplementSum.Add(0, zeroed));
        string checksum = FitsChecksum.Encode(OnesComplementSum.Combine(headerSum, dataSum));
        WriteAt(EncodeHeader(cards, datasum, checksum), headerStart);
    }

    /// <summary>Finishes the file: fills in the checksums of HDUs written band-wise, flushes it and renames the
    /// temporary file to the final name. <b>Without this call no file is written</b>: <see cref="Dispose"/> deletes
    /// the temporary file.</summary>
    /// <exception cref="InvalidOperationException">Nothing was written, rows of a band-wise HDU are missing (write
    /// them and commit again), the writer is already committed or disposed, or an earlier write failed.</exception>
    /// <exception cref="IOException">The rename failed, or the file was created with <c>overwrite: false</c> and a
    /// file appeared under its name meanwhile (that file is left as it is; the temporary file is deleted on
    /// <see cref="Dispose"/>).</exception>
    public void Commit()
    {
        ThrowIfDone();
        if (HduCount == 0) throw new InvalidOperationException($"{Name}: a FITS file needs at least a primary HDU");
        foreach (var b in _banded) b.Finish();
        if (_tempPath is null)
        {
            _stream.Flush();
            _committed = true;
            return;
        }
        // From here on the writer cannot be used again, whether the rename works or not.
        _failed = true;
        if (_stream is FileStream fs) fs.Flush(flushToDisk: false);
        _stream.Dispose();
        if (!_overwrite && (File.Exists(_finalPath) || Directory.Exists(_finalPath))) throw Exists(_finalPath!);
        File.Move(_tempPath, _finalPath!, overwrite: _overwrite);
        _committed = true;
    }

    /// <summary>Closes the file. Without a successful <see cref="Commit"/> (an exception, a cancellation or a
    /// forgotten call alike) the temporary file is deleted and <b>nothing is left under the final name</b>. Never
    /// throws, so it cannot replace an exception that is unwinding a <c>using</c> block; a temporary file that cannot
    /// be deleted stays behind under its hidden name (<c>.NAME.GUID.tmp</c>).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (_ownsStream) _stream.Dispose();
        }
        catch (IOException) when (!_committed)
        {
            // Data being thrown away: a failure to flush them does not matter.
        }
        if (_committed || _tempPath is null) return;
        try
        {
            File.Delete(_tempPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind under its hidden temporary name; the final name is untouched either way.
        }
    }

    private void ThrowIfDone()
    {
        if (_disposed) throw new InvalidOperationException($"{Name}: the writer is disposed");
        if (_committed) throw new InvalidOperationException($"{Name} is already committed");
        if (_failed)
            throw new InvalidOperationException($"{Name}: an earlier write failed or was cancelled, so the file cannot be completed; "
                                                + "dispose the writer (nothing is left under the name)");
    }

    private void CheckCancel(CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        _cancel.ThrowIfCancellationRequested();
    }

    private static IOException Exists(string path) =>
        new($"{path} already exists; it is not replaced unless overwrite is true");

    private List<FitsCard> Mandatory(int bitpix, long[] axes)
    {
        var cards = new List<FitsCard>();
        if (HduCount == 0) cards.Add(FitsCard.Logical("SIMPLE", true, "conforms to FITS standard"));
        else cards.Add(FitsCard.String("XTENSION", "IMAGE", "image extension"));
        cards.Add(FitsCard.Integer("BITPIX", bitpix, "array data type"));
        cards.Add(FitsCard.Integer("NAXIS", axes.Length, "number of array dimensions"));
        for (int i = 0; i < axes.Length; i++) cards.Add(FitsCard.Integer($"NAXIS{i + 1}", axes[i]));
        if (HduCount == 0) cards.Add(FitsCard.Logical("EXTEND", true));
        else
        {
            cards.Add(FitsCard.Integer("PCOUNT", 0, "number of parameters"));
            cards.Add(FitsCard.Integer("GCOUNT", 1, "number of groups"));
        }
        return cards;
    }

    /// <summary>Writes header (with placeholder checksums), data and padding, then rewrites the header
    /// with the real CHECKSUM and DATASUM.</summary>
    private (List<FitsCard> Cards, long HeaderStart) BeginHdu(List<FitsCard> structural, FitsHeader? user)
    {
        var cards = new List<FitsCard>(structural);
        bool announced = user?.Contains("LONGSTRN") == true;
        if (user is not null)
            foreach (var c in user)
            {
                if (c.Kind != FitsValueKind.Commentary && Structural.IsMatch(c.Keyword)) continue;
                if (!announced && c.Kind == FitsValueKind.String && FitsCardFormat.Format(c).Count > 1)
                {
                    // Announce the CONTINUE convention before its first use, as cfitsio does (fitsverify warns otherwise).
                    cards.Add(FitsCard.String("LONGSTRN", "OGIP 1.0", "The OGIP long string convention may be used"));
                    announced = true;
                }
                cards.Add(c);
            }
        long headerStart = _stream.Position;
        _stream.Write(EncodeHeader(cards, "0", FitsChecksum.Placeholder));
        return (cards, headerStart);
    }

    private void EndHdu(List<FitsCard> cards, long headerStart, long dataBytes, ulong acc)
    {
        long pad = FitsConstants.PadToBlock(dataBytes) - dataBytes;
        if (pad > 0) _stream.Write(new byte[pad]);
        FinishHeader(cards, headerStart, OnesComplementSum.Fold(acc));
        HduCount++;
    }

    private static byte[] EncodeHeader(List<FitsCard> cards, string datasum, string checksum)
    {
        var images = new List<string>();
        foreach (var c in cards) images.AddRange(FitsCardFormat.Format(c));
        images.AddRange(FitsCardFormat.Format(FitsCard.String("CHECKSUM", checksum, "HDU checksum")));
        images.AddRange(FitsCardFormat.Format(FitsCard.String("DATASUM", datasum, "data unit checksum")));
        return FitsCardFormat.Encode(images);
    }

    private ulong WritePixels<T>(ReadOnlySpan2D<T> pixels, int size, ulong xor, ulong acc, CancellationToken cancel) where T : unmanaged
    {
        if (pixels.Width == 0 || pixels.Height == 0) return acc;
        int chunk = Math.Max(size, FitsFile.ChunkBytes / size * size);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            int filled = 0;
            // Rows without gaps are converted as one run; otherwise row by row.
            bool contiguous = pixels.TryGetSpan(out ReadOnlySpan<T> flat);
            for (int y = 0; y < (contiguous ? 1 : pixels.Height); y++)
            {
                var row = MemoryMarshal.AsBytes(contiguous ? flat : pixels.GetRowSpan(y));
                while (row.Length > 0)
                {
                    int take = Math.Min(row.Length, chunk - filled);
                    Endian.Swap(row[..take], buffer.AsSpan(filled, take), size, xor);
                    filled += take;
                    row = row[take..];
                    if (filled == chunk)
                    {
                        CheckCancel(cancel);
                        acc = Flush(_stream, buffer, filled, acc);
                        filled = 0;
                    }
                }
            }
            CheckCancel(cancel);
            return filled > 0 ? Flush(_stream, buffer, filled, acc) : acc;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ulong Flush(Stream stream, byte[] buffer, int count, ulong acc)
    {
        stream.Write(buffer, 0, count);
        return OnesComplementSum.Fold(OnesComplementSum.Add(acc, buffer.AsSpan(0, count)));
    }

    private static (int Bitpix, double? ConventionZero, ulong Xor) Storage<T>()
    {
        if (typeof(T) == typeof(byte)) return (8, null, 0);
        if (typeof(T) == typeof(sbyte)) return (8, -128.0, 0x80);
        if (typeof(T) == typeof(short)) return (16, null, 0);
        if (typeof(T) == typeof(ushort)) return (16, 32768.0, 0x8000);
        if (typeof(T) == typeof(int)) return (32, null, 0);
        if (typeof(T) == typeof(uint)) return (32, 2147483648.0, 0x80000000);
        if (typeof(T) == typeof(long)) return (64, null, 0);
        if (typeof(T) == typeof(ulong)) return (64, 9223372036854775808.0, 0x8000000000000000);
        if (typeof(T) == typeof(float)) return (-32, null, 0);
        if (typeof(T) == typeof(double)) return (-64, null, 0);
        throw new ArgumentException($"FITS has no BITPIX for {typeof(T).Name}");
    }
}

/// <summary>An HDU begun by <see cref="FitsWriter.BeginImage{T}"/>, finished when the file is committed.</summary>
internal interface IBandedHdu
{
    /// <summary>Checks that every row was written and fills in the header's checksums.</summary>
    void Finish();
}

/// <summary>
/// The data of an image HDU begun by <see cref="FitsWriter.BeginImage{T}"/>, written a band of whole rows at a time, in
/// any order and from several threads at once; each row exactly once. The data sum is kept as bands arrive (the FITS
/// checksum is a sum of 32-bit words, and every band starts on a word), so the header can be finished without reading
/// the data back.
/// </summary>
/// <typeparam name="T">The pixel type (4 or 8 bytes).</typeparam>
public sealed class FitsImageBands<T> : IBandedHdu where T : unmanaged, INumber<T>
{
    private readonly FitsWriter _writer;
    private readonly List<FitsCard> _cards;
    private readonly long _headerStart, _dataStart;
    private readonly bool[] _written;
    private long _rowsWritten;
    private ulong _sum;

    internal FitsImageBands(FitsWriter writer, List<FitsCard> cards, long headerStart, long dataStart, int width, int height)
    {
        (_writer, _cards, _headerStart, _dataStart, Width, Height) = (writer, cards, headerStart, dataStart, width, height);
        _written = new bool[height];
    }

    /// <summary>NAXIS1.</summary>
    public int Width { get; }

    /// <summary>NAXIS2.</summary>
    public int Height { get; }

    /// <summary>Writes <paramref name="rows"/> (as wide as the image) as rows <paramref name="firstRow"/>.. of the data.</summary>
    /// <exception cref="ArgumentException">The band is not as wide as the image, runs past its last row, or repeats a row.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Write(int firstRow, ReadOnlySpan2D<T> rows)
    {
        if (rows.Width != Width) throw new ArgumentException($"{_writer.Name}: a band of {rows.Width} px wide rows for an image {Width} px wide", nameof(rows));
        if (firstRow < 0 || firstRow + rows.Height > Height)
            throw new ArgumentException($"{_writer.Name}: rows {firstRow}..{firstRow + rows.Height - 1} are outside 0..{Height - 1}", nameof(firstRow));
        lock (_written)
        {
            for (int y = firstRow; y < firstRow + rows.Height; y++)
                if (_written[y]) throw new ArgumentException($"{_writer.Name}: row {y} is written twice", nameof(firstRow));
            for (int y = firstRow; y < firstRow + rows.Height; y++) _written[y] = true;
        }
        int size = Unsafe.SizeOf<T>();
        long rowBytes = (long)Width * size;
        int rowsPerChunk = (int)Math.Max(1, FitsFile.ChunkBytes / Math.Max(1, rowBytes));
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(int.MaxValue, rowsPerChunk * rowBytes));
        try
        {
            ulong acc = 0;
            for (int y = 0; y < rows.Height; y += rowsPerChunk)
            {
                int n = Math.Min(rowsPerChunk, rows.Height - y), filled = 0;
                for (int r = y; r < y + n; r++)
                {
                    var row = MemoryMarshal.AsBytes(rows.GetRowSpan(r));
                    Endian.Swap(row, buffer.AsSpan(filled, row.Length), size, 0);
                    filled += row.Length;
                }
                _writer.WriteAt(buffer.AsSpan(0, filled), _dataStart + (firstRow + y) * rowBytes);
                acc = OnesComplementSum.Add(acc, buffer.AsSpan(0, filled));
            }
            // Folded per band, then added: a sum of at most one folded word per band cannot overflow 64 bits.
            Interlocked.Add(ref _sum, OnesComplementSum.Fold(acc));
            Interlocked.Add(ref _rowsWritten, rows.Height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    void IBandedHdu.Finish()
    {
        long written = Interlocked.Read(ref _rowsWritten);
        if (written != Height) throw new InvalidOperationException($"{_writer.Name}: {written} of the {Height} rows of an image HDU were written");
        _writer.FinishHeader(_cards, _headerStart, OnesComplementSum.Fold(Interlocked.Read(ref _sum)));
    }
}
