namespace ImageCore.Fits;

/// <summary>
/// A FITS file open for reading. HDUs are found lazily: asking for HDU <c>n</c> (or an EXTNAME)
/// reads the headers up to it and seeks over the data of the ones before, so reading one HDU of a
/// large file reads only that HDU's bytes and the headers before it. Every structural problem is a
/// <see cref="FitsFormatException"/> naming the file, HDU and byte offset or keyword, raised before
/// any pixel buffer is allocated.
/// </summary>
/// <remarks>Not thread-safe, except <see cref="ReadRows"/> of HDUs already found: one reader per thread.</remarks>
public sealed partial class FitsFile : IDisposable
{
    /// <summary>The largest header accepted (64 MiB, about 840,000 cards).</summary>
    public const long MaxHeaderBytes = 64L << 20;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly List<FitsHdu> _hdus = [];
    private long _next;
    private bool _walked;

    /// <summary>Reads FITS data from a seekable stream.</summary>
    /// <param name="stream">A readable, seekable stream positioned anywhere; offsets count from 0.</param>
    /// <param name="name">Name used in error messages.</param>
    /// <param name="ownsStream">Dispose the stream with this object.</param>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    /// <exception cref="FitsFormatException">The stream does not start with a FITS primary header.</exception>
    public FitsFile(Stream stream, string name, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek) throw new ArgumentException("FITS needs a readable, seekable stream", nameof(stream));
        _stream = stream;
        _ownsStream = ownsStream;
        Name = name;
        Length = stream.Length;
        if (!TryWalkNext()) throw new FitsFormatException(Name, 0, 0, null, "the file is empty");
    }

    /// <summary>Opens a file for reading.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="IOException">A directory, a device or pipe, or unreadable (<see cref="InputFile.OpenRead"/>).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file.</exception>
    /// <example><code>
    /// using var file = FitsFile.Open("raw.fits");
    /// var segment = file.GetHdu("Segment10");            // EXTNAME in any case
    /// using var pixels = file.ReadImage&lt;float&gt;(segment);   // physical values (BZERO/BSCALE applied)
    /// </code></example>
    public static FitsFile Open(string path)
    {
        var fs = InputFile.OpenRead(path);
        try { return new FitsFile(fs, path, ownsStream: true); }
        catch { fs.Dispose(); throw; }
    }

    /// <summary>The file name used in messages.</summary>
    public string Name { get; }

    /// <summary>Total bytes in the file.</summary>
    public long Length { get; }

    /// <summary>Every HDU in the file (walks the whole file's headers on first use).</summary>
    public IReadOnlyList<FitsHdu> Hdus
    {
        get
        {
            while (TryWalkNext()) { }
            return _hdus;
        }
    }

    /// <summary>The HDU at <paramref name="index"/> (0 is primary).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The file has fewer HDUs; the message names the file.</exception>
    /// <exception cref="FitsFormatException">A header on the way is malformed.</exception>
    public FitsHdu this[int index] => GetHdu(index);

    /// <summary>The first HDU named <paramref name="extname"/> (as <see cref="GetHdu(string, long?)"/>: case and
    /// trailing blanks ignored).</summary>
    /// <exception cref="KeyNotFoundException">No such HDU; the message names the file and the name.</exception>
    /// <exception cref="FitsFormatException">A header on the way is malformed.</exception>
    public FitsHdu this[string extname] => GetHdu(extname);

    /// <summary>The HDU at <paramref name="index"/>, walking only as far as needed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The file has fewer HDUs; the message names the file.</exception>
    /// <exception cref="FitsFormatException">A header on the way is malformed.</exception>
    public FitsHdu GetHdu(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return FindHdu(index)
            ?? throw new ArgumentOutOfRangeException(nameof(index), $"{Name} has {_hdus.Count} HDUs; there is no HDU {index}");
    }

    /// <summary>The HDU at <paramref name="index"/>, or null when the file has fewer HDUs (walking only as far as
    /// needed, so a caller can go through a file's HDUs one by one, each read before a later one's header is).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    /// <exception cref="FitsFormatException">A header on the way is malformed.</exception>
    public FitsHdu? FindHdu(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        while (_hdus.Count <= index && TryWalkNext()) { }
        return index < _hdus.Count ? _hdus[index] : null;
    }

    /// <summary>The first HDU whose EXTNAME is <paramref name="extname"/> (and EXTVER, when given), or null. Names
    /// are compared as astropy and cfitsio compare them: ignoring case and trailing blanks, so <c>"SEGMENT10"</c>
    /// finds <c>EXTNAME = 'Segment10'</c>.</summary>
    /// <exception cref="FitsFormatException">A header on the way is malformed.</exception>
    public FitsHdu? FindHdu(string extname, long? extver = null)
    {
        ArgumentNullException.ThrowIfNull(extname);
        for (int i = 0; ; i++)
        {
            while (_hdus.Count <= i && TryWalkNext()) { }
            if (i >= _hdus.Count) return null;
            var h = _hdus[i];
            if (SameExtName(h.ExtName, extname) && (extver is null || h.ExtVer == extver)) return h;
        }
    }

    /// <summary>The HDU named <paramref name="extname"/> (and EXTVER, when given), as <see cref="FindHdu(string, long?)"/>
    /// finds it.</summary>
    /// <exception cref="KeyNotFoundException">No such HDU; the message names the file and the name.</exception>
    /// <exception cref="FitsFormatException">A header on the way is malformed.</exception>
    public FitsHdu GetHdu(string extname, long? extver = null) =>
        FindHdu(extname, extver) ?? throw new KeyNotFoundException(
            $"{Name}: no HDU with EXTNAME '{extname}'{(extver is null ? "" : $" and EXTVER {extver}")}");

    /// <summary>EXTNAMEs compare as in astropy and cfitsio: ASCII case and trailing blanks ignored (leading blanks
    /// are significant in a FITS string).</summary>
    internal static bool SameExtName(string? stored, string wanted) =>
        stored is not null && stored.AsSpan().TrimEnd(' ').Equals(wanted.AsSpan().TrimEnd(' '), StringComparison.OrdinalIgnoreCase);

    /// <summary>The header of <paramref name="hdu"/> as stored, read again from the file: its 80-character card
    /// images in order, CONTINUE, COMMENT, HISTORY and blank cards included, the END card and the blank fill after
    /// it not (what astropy's <c>fitsheader</c> prints). A byte outside printable ASCII becomes the Latin-1 character
    /// of the same code, so every image is 80 characters.</summary>
    /// <param name="hdu">An HDU of this file.</param>
    /// <param name="cancel">Checked between 2880-byte header blocks.</param>
    /// <exception cref="ArgumentException"><paramref name="hdu"/> belongs to another file.</exception>
    /// <exception cref="FitsFormatException">The file has changed since the HDU was found (no END card any more, or truncated).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public IReadOnlyList<string> ReadCardImages(FitsHdu hdu, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(hdu);
        if (!ReferenceEquals(FindHdu(hdu.Index), hdu))
            throw new ArgumentException($"{hdu} does not belong to {Name}", nameof(hdu));
        var images = new List<string>();
        var block = new byte[FitsConstants.BlockSize];
        for (long at = hdu.HeaderOffset; at < hdu.DataOffset; at += FitsConstants.BlockSize)
        {
            cancel.ThrowIfCancellationRequested();
            ReadAt(block, at, hdu.Index);
            int end = FitsHeaderParser.FindEnd(block);
            int cards = end < 0 ? FitsConstants.BlockSize / FitsConstants.CardSize : end;
            for (int c = 0; c < cards; c++)
                images.Add(System.Text.Encoding.Latin1.GetString(block, c * FitsConstants.CardSize, FitsConstants.CardSize));
            if (end >= 0) return images;
        }
        throw new FitsFormatException(Name, hdu.Index, hdu.HeaderOffset, "END", "no END card any more: the file changed after its header was read");
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }

    private bool TryWalkNext()
    {
        if (_walked) return false;
        int index = _hdus.Count;
        if (_next >= Length)
        {
            _walked = true;
            return false;
        }
        if (index > 0 && Length - _next < FitsConstants.BlockSize)
            throw new FitsFormatException(Name, index, _next, null, $"{Length - _next} bytes follow the last HDU: not a whole FITS block");
        var hdu = ReadHdu(index, _next);
        _hdus.Add(hdu);
        _next = hdu.EndOffset;
        return true;
    }

    private FitsHdu ReadHdu(int index, long offset)
    {
        var bytes = new List<byte[]>();
        int endCard = -1;
        long pos = offset;
        while (endCard < 0)
        {
            if (pos + FitsConstants.BlockSize > Length)
                throw new FitsFormatException(Name, index, pos,
                    null, pos == offset ? "truncated: no complete header block" : "truncated header: no END card before the end of the file");
            if (pos - offset >= MaxHeaderBytes)
                throw new FitsFormatException(Name, index, pos, null, $"no END card within {MaxHeaderBytes >> 20} MiB of header");
            var block = new byte[FitsConstants.BlockSize];
            _stream.Position = pos;
            _stream.ReadExactly(block);
            if (pos == offset) CheckFirstCard(index, offset, block);
            bytes.Add(block);
            endCard = FitsHeaderParser.FindEnd(block);
            pos += FitsConstants.BlockSize;
        }
        var all = new byte[bytes.Count * FitsConstants.BlockSize];
        for (int b = 0; b < bytes.Count; b++) bytes[b].CopyTo(all, b * FitsConstants.BlockSize);
        int cards = (bytes.Count - 1) * (FitsConstants.BlockSize / FitsConstants.CardSize) + endCard;
        var header = FitsHeaderParser.Parse(all, cards, Name, index, offset);
        return FitsStructure.Build(Name, index, header, offset, pos, Length);
    }

    private void CheckFirstCard(int index, long offset, byte[] block)
    {
        ReadOnlySpan<byte> first = block.AsSpan(0, 10);
        bool ok = index == 0 ? first.SequenceEqual("SIMPLE  = "u8) : first.SequenceEqual("XTENSION= "u8);
        if (!ok)
            throw new FitsFormatException(Name, index, offset, index == 0 ? "SIMPLE" : "XTENSION",
                index == 0 ? "not a FITS file: it does not start with SIMPLE  = " : "bytes after the previous HDU do not start an extension (XTENSION= )");
    }
}
