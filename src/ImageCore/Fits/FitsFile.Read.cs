using System.Buffers;
using System.Numerics;
using CommunityToolkit.HighPerformance;
using ImageCore.Memory;
using ImageCore.Simd;

namespace ImageCore.Fits;

public sealed partial class FitsFile
{
    /// <summary>Bytes read per chunk: large enough for few system calls, small enough to stay in L2.</summary>
    internal const int ChunkBytes = 1 << 19;

    /// <summary>Reads an image HDU into a new pooled plane of physical values (BZERO/BSCALE applied,
    /// BLANK as NaN for float destinations). Rows are NAXIS2..NAXISn flattened.</summary>
    /// <typeparam name="T">The pixel type wanted: the stored type, its unsigned twin, float, double,
    /// or an integer type that holds every physical value.</typeparam>
    /// <param name="hdu">An image HDU of this file.</param>
    /// <param name="scaled">False reads the stored values without BZERO/BSCALE/BLANK.</param>
    /// <param name="cancel">Checked between chunks of <see cref="ChunkBytes"/>; a cancelled read returns the plane to
    /// the pool.</param>
    /// <returns>A plane the caller owns (dispose it to return it to the pool).</returns>
    /// <exception cref="FitsFormatException">Not an image, too large for one plane, or truncated.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="InsufficientMemoryException">The plane is larger than the memory available.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public Plane<T> ReadImage<T>(FitsHdu hdu, bool scaled = true, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(hdu);
        cancel.ThrowIfCancellationRequested();
        var (width, height) = CheckImage(hdu);
        CheckPresent(hdu);
        Plane<T> plane;
        try { plane = new Plane<T>(width, height, clear: false); }
        catch (InsufficientMemoryException e) { throw new InsufficientMemoryException($"{Name}, HDU {hdu.Index}: {e.Message}"); }
        try
        {
            ReadRows(hdu, 0, plane.AsSpan2D(), scaled, cancel);
            return plane;
        }
        catch
        {
            plane.Dispose();
            throw;
        }
    }

    /// <summary>Reads rows <paramref name="firstRow"/>.. of an image HDU into <paramref name="destination"/>
    /// (its height is the number of rows; its width must be NAXIS1). Once the HDU has been found, calls for
    /// different rows may run on several threads at once (a file on disk is read with positional reads).</summary>
    /// <param name="hdu">An image HDU of this file.</param>
    /// <param name="firstRow">The first row to read (0-based, in NAXIS2..NAXISn flattened).</param>
    /// <param name="destination">Where the rows go, converted to <typeparamref name="T"/>.</param>
    /// <param name="scaled">False reads the stored values without BZERO/BSCALE/BLANK.</param>
    /// <param name="cancel">Checked between chunks of <see cref="ChunkBytes"/>; rows already converted stay in
    /// <paramref name="destination"/>.</param>
    /// <exception cref="ArgumentException">Destination width or row range does not match the HDU.</exception>
    /// <exception cref="FitsFormatException">Not an image, or the file is truncated.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public void ReadRows<T>(FitsHdu hdu, long firstRow, Span2D<T> destination, bool scaled = true, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        var (width, height) = CheckImage(hdu);
        if (destination.Width != width)
            throw new ArgumentException($"{Name}, HDU {hdu.Index}: destination is {destination.Width} px wide but NAXIS1 = {width}", nameof(destination));
        if (firstRow < 0 || firstRow + destination.Height > height)
            throw new ArgumentException($"{Name}, HDU {hdu.Index}: rows {firstRow}..{firstRow + destination.Height - 1} are outside 0..{height - 1}", nameof(firstRow));
        if (destination.Height == 0 || width == 0) return;

        string where = $"{Name}, HDU {hdu.Index}";
        using var chunks = new PixelChunks<T>(hdu, scaled);
        var (codec, size, chunkPixels, buffer, scratch) = (chunks.Codec, chunks.Size, chunks.Pixels, chunks.Buffer, chunks.Scratch);
        long at = hdu.DataOffset + firstRow * width * size;
        long remaining = (long)destination.Height * width;
        int row = 0, col = 0;
        long pixel = firstRow * width;
        bool contiguous = destination.TryGetSpan(out Span<T> flat);
        while (remaining > 0)
        {
            cancel.ThrowIfCancellationRequested();
            int n = (int)Math.Min(chunkPixels, remaining);
            var bytes = buffer.AsSpan(0, n * size);
            ReadAt(bytes, at, hdu.Index);
            at += bytes.Length;
            if (contiguous)
            {
                // Rows without gaps (no padding, or a width that fills whole cache lines): one call per chunk.
                codec.Decode(bytes, flat.Slice((int)(pixel - firstRow * width), n), scratch, pixel, where);
                pixel += n;
                remaining -= n;
                continue;
            }
            int used = 0;
            while (used < n)
            {
                int take = Math.Min(width - col, n - used);
                codec.Decode(bytes.Slice(used * size, take * size), destination.GetRowSpan(row).Slice(col, take), scratch, pixel, where);
                used += take;
                pixel += take;
                col += take;
                if (col == width) { col = 0; row++; }
            }
            remaining -= n;
        }
    }

    /// <summary>Reads <paramref name="destination"/>.Length pixels of an image HDU from pixel <paramref name="firstPixel"/>
    /// on (the data in storage order, NAXIS1 fastest), as <see cref="ReadRows"/> converts them: statistics and other
    /// streaming passes read fixed-size pieces this way, however wide a row is.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the data.</exception>
    /// <exception cref="FitsFormatException">Not an image, or the file is truncated.</exception>
    internal void ReadPixels<T>(FitsHdu hdu, long firstPixel, Span<T> destination, bool scaled = true) where T : unmanaged, INumber<T>
    {
        if (hdu.Type != FitsHduType.Image)
            throw new FitsFormatException(Name, hdu.Index, hdu.HeaderOffset, "XTENSION", $"HDU {hdu.Index} is a {hdu.Type}, not an image");
        if (firstPixel < 0 || firstPixel + destination.Length > hdu.PixelCount)
            throw new ArgumentOutOfRangeException(nameof(firstPixel), $"{Name}, HDU {hdu.Index}: pixels {firstPixel}.. are outside the {hdu.PixelCount} of the data");
        if (destination.IsEmpty) return;
        string where = $"{Name}, HDU {hdu.Index}";
        using var chunks = new PixelChunks<T>(hdu, scaled);
        for (int done = 0; done < destination.Length;)
        {
            int n = Math.Min(chunks.Pixels, destination.Length - done);
            var bytes = chunks.Buffer.AsSpan(0, n * chunks.Size);
            ReadAt(bytes, hdu.DataOffset + (firstPixel + done) * chunks.Size, hdu.Index);
            chunks.Codec.Decode(bytes, destination.Slice(done, n), chunks.Scratch, firstPixel + done, where);
            done += n;
        }
    }

    /// <summary>The codec of an HDU's pixels and the pooled buffers a read decodes through, a chunk of
    /// <see cref="ChunkBytes"/> at a time; disposing returns the buffers.</summary>
    private readonly struct PixelChunks<T> : IDisposable where T : unmanaged, INumber<T>
    {
        public PixelChunks(FitsHdu hdu, bool scaled)
        {
            Codec = new FitsPixelCodec<T>(hdu, scaled);
            Size = Codec.StoredSize;
            Pixels = Math.Max(1, ChunkBytes / Size);
            Buffer = ArrayPool<byte>.Shared.Rent(Pixels * Size);
            Scratch = Codec.NeedsScratch ? ArrayPool<byte>.Shared.Rent(Pixels * Size) : null;
        }

        public FitsPixelCodec<T> Codec { get; }

        /// <summary>Bytes per stored value.</summary>
        public int Size { get; }

        /// <summary>Pixels per chunk.</summary>
        public int Pixels { get; }

        public byte[] Buffer { get; }

        public byte[]? Scratch { get; }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            if (Scratch is not null) ArrayPool<byte>.Shared.Return(Scratch);
        }
    }

    /// <summary>The first <paramref name="bytes"/> bytes of <paramref name="hdu"/>'s data as stored (big-endian, unscaled)
    /// into <paramref name="destination"/>, in pieces of at most 64 MiB (cancellation is checked between them).</summary>
    /// <exception cref="FitsFormatException">Not an image, more bytes than the data hold, or the file is truncated.</exception>
    internal unsafe void ReadDataBytes(FitsHdu hdu, byte* destination, long bytes, CancellationToken cancel = default)
    {
        CheckImage(hdu);
        if (bytes < 0 || bytes > hdu.DataBytes)
            throw new ArgumentOutOfRangeException(nameof(bytes), $"{Name}, HDU {hdu.Index}: {bytes} bytes asked of {hdu.DataBytes}");
        const int Piece = 64 << 20;
        for (long done = 0; done < bytes;)
        {
            cancel.ThrowIfCancellationRequested();
            int n = (int)Math.Min(Piece, bytes - done);
            ReadAt(new Span<byte>(destination + done, n), hdu.DataOffset + done, hdu.Index);
            done += n;
        }
    }

    /// <summary>Verifies the CHECKSUM (whole HDU sums to -0) and DATASUM (data sum) keywords of an HDU.</summary>
    /// <exception cref="FitsFormatException">DATASUM is not an unsigned decimal integer, or the file is truncated.</exception>
    public FitsChecksumResult VerifyChecksum(FitsHdu hdu)
    {
        var h = hdu.Header;
        bool hasChecksum = h.Contains("CHECKSUM"), hasDatasum = h.Contains("DATASUM");
        if (!hasChecksum && !hasDatasum) return new(null, null);

        ulong headerAcc = SumRange(hdu.HeaderOffset, hdu.DataOffset - hdu.HeaderOffset, hdu.Index);
        long dataEnd = Math.Min(hdu.EndOffset, Length);
        ulong dataAcc = SumRange(hdu.DataOffset, dataEnd - hdu.DataOffset, hdu.Index);
        uint dataSum = OnesComplementSum.Fold(dataAcc);

        bool? datasumOk = null;
        if (hasDatasum)
        {
            string text = h.GetString("DATASUM").Trim();
            datasumOk = FitsChecksum.MatchesDatasum(text, dataSum)
                ?? throw new FitsFormatException(Name, hdu.Index, -1, "DATASUM", $"DATASUM '{text}' is not an unsigned 32-bit decimal integer");
        }
        bool? checksumOk = hasChecksum ? OnesComplementSum.Combine(OnesComplementSum.Fold(headerAcc), dataSum) == 0xFFFFFFFFu : null;
        return new(checksumOk, datasumOk);
    }

    private ulong SumRange(long offset, long count, int hdu)
    {
        try
        {
            return FitsChecksum.SumRange(_stream, offset, count);
        }
        catch (EndOfStreamException)
        {
            throw Truncated((int)Math.Min(count, int.MaxValue), offset, hdu);
        }
    }

    /// <summary><paramref name="bytes"/> from byte <paramref name="offset"/>: a positional read of a file on disk (safe
    /// from several threads, the stream's position untouched), otherwise a seek and read under a lock.</summary>
    private void ReadAt(Span<byte> bytes, long offset, int hdu)
    {
        if (_stream is FileStream file)
        {
            var handle = file.SafeFileHandle;
            for (int got = 0; got < bytes.Length;)
            {
                int n = RandomAccess.Read(handle, bytes[got..], offset + got);
                if (n == 0) throw Truncated(bytes.Length, offset, hdu);
                got += n;
            }
            return;
        }
        lock (_stream)
        {
            _stream.Position = offset;
            ReadFully(bytes, hdu);
        }
    }

    /// <summary>Refuses an HDU whose data the file does not hold whole, before any buffer is made for them.</summary>
    /// <exception cref="FitsFormatException">The file ends before the HDU's data do.</exception>
    internal void CheckPresent(FitsHdu hdu)
    {
        if (hdu.DataOffset + hdu.DataBytes > Length)
            throw new FitsFormatException(Name, hdu.Index, hdu.DataOffset, null,
                $"truncated: the data need {hdu.DataBytes} bytes from byte {hdu.DataOffset}, the file ends at {Length}");
    }

    private FitsFormatException Truncated(int wanted, long at, int hdu)
    {
        // The length found at opening may be stale: a file cut short while it is read (a shared file system, a copy
        // still under way) is reported with its length now.
        long now = _stream is FileStream fs ? InputFile.CurrentLength(fs.Name) : -1;
        string ends = now >= 0 && now != Length ? $"the file now ends at {now} (it had {Length} bytes when opened: it changed while being read)"
                                                : $"the file ends at {Length}";
        return new(Name, hdu, at, null, $"truncated: {wanted} bytes wanted at byte {at}, {ends}");
    }

    private void ReadFully(Span<byte> bytes, int hdu)
    {
        long at = _stream.Position;
        try
        {
            _stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw Truncated(bytes.Length, at, hdu);
        }
    }

    private (int Width, int Height) CheckImage(FitsHdu hdu)
    {
        if (hdu.Type != FitsHduType.Image)
            throw new FitsFormatException(Name, hdu.Index, hdu.HeaderOffset, "XTENSION", $"HDU {hdu.Index} is a {hdu.Type}, not an image");
        if (!ReferenceEquals(GetHdu(hdu.Index), hdu))
            throw new ArgumentException($"{hdu} does not belong to {Name}", nameof(hdu));
        if (hdu.Width > int.MaxValue || hdu.Height > int.MaxValue || hdu.PixelCount > Plane<byte>.MaxElements)
            throw new FitsFormatException(Name, hdu.Index, hdu.HeaderOffset, "NAXIS",
                $"{hdu.Width} x {hdu.Height} pixels is too large for one image plane");
        return ((int)hdu.Width, (int)hdu.Height);
    }
}
