namespace ImageCore.Fits;

/// <summary>The kind of a header-data unit.</summary>
public enum FitsHduType
{
    /// <summary>The primary HDU or an IMAGE extension.</summary>
    Image,
    /// <summary>A BINTABLE extension (not a compressed image).</summary>
    BinaryTable,
    /// <summary>An ASCII TABLE extension.</summary>
    AsciiTable,
    /// <summary>A primary HDU in the random-groups format.</summary>
    RandomGroups,
    /// <summary>A tile-compressed image (BINTABLE with ZIMAGE = T); not decoded yet.</summary>
    CompressedImage,
    /// <summary>Any other conforming extension type: skipped over, not read.</summary>
    Other,
}

/// <summary>
/// One header-data unit of a FITS file as found when walking it: the parsed header and where its
/// data lie. Structural keywords are validated when the HDU is created.
/// </summary>
public sealed class FitsHdu
{
    internal FitsHdu(int index, FitsHeader header, FitsHduType type, long headerOffset, long dataOffset, long dataBytes, long[] axes)
    {
        Index = index;
        Header = header;
        Type = type;
        HeaderOffset = headerOffset;
        DataOffset = dataOffset;
        DataBytes = dataBytes;
        Axes = axes;
        Bitpix = header.GetInt32("BITPIX");
        bool scalable = type == FitsHduType.Image;
        BZero = scalable ? header.GetDouble("BZERO", 0) : 0;
        BScale = scalable ? header.GetDouble("BSCALE", 1) : 1;
        Blank = scalable && Bitpix > 0 && header.Contains("BLANK") ? header.GetInt64("BLANK") : null;
        ExtName = header.Find("EXTNAME")?.Value as string;
        ExtVer = header.Contains("EXTVER") ? header.GetInt64("EXTVER") : 1;
    }

    /// <summary>Zero-based position in the file (0 is the primary HDU).</summary>
    public int Index { get; }

    /// <summary>The header, as read.</summary>
    public FitsHeader Header { get; }

    /// <summary>What kind of HDU this is.</summary>
    public FitsHduType Type { get; }

    /// <summary>True for the primary HDU.</summary>
    public bool IsPrimary => Index == 0;

    /// <summary>The XTENSION value, or null for the primary HDU.</summary>
    public string? Xtension => IsPrimary ? null : Header.GetString("XTENSION");

    /// <summary>Byte offset of the first header block.</summary>
    public long HeaderOffset { get; }

    /// <summary>Byte offset of the first data block.</summary>
    public long DataOffset { get; }

    /// <summary>Bytes of data (heap included, padding excluded).</summary>
    public long DataBytes { get; }

    /// <summary>Byte offset just past this HDU's padded data: where the next HDU starts.</summary>
    public long EndOffset => DataOffset + FitsConstants.PadToBlock(DataBytes);

    /// <summary>BITPIX: 8, 16, 32, 64, -32 or -64.</summary>
    public int Bitpix { get; }

    /// <summary>NAXIS1..NAXISn (fastest-varying first).</summary>
    public IReadOnlyList<long> Axes { get; }

    /// <summary>BZERO (0 when absent; images only).</summary>
    public double BZero { get; }

    /// <summary>BSCALE (1 when absent; images only).</summary>
    public double BScale { get; }

    /// <summary>BLANK for integer images, or null.</summary>
    public long? Blank { get; }

    /// <summary>EXTNAME, or null.</summary>
    public string? ExtName { get; }

    /// <summary>EXTVER (1 when absent).</summary>
    public long ExtVer { get; }

    /// <summary>True for an image HDU with at least one pixel.</summary>
    public bool HasImageData => Type == FitsHduType.Image && Axes.Count > 0 && PixelCount > 0;

    /// <summary>Number of pixels of an image HDU (0 when NAXIS = 0).</summary>
    public long PixelCount
    {
        get
        {
            if (Axes.Count == 0) return 0;
            long n = 1;
            foreach (long a in Axes) n *= a;
            return n;
        }
    }

    /// <summary>Image width: NAXIS1 (0 when NAXIS = 0).</summary>
    public long Width => Axes.Count == 0 ? 0 : Axes[0];

    /// <summary>Image rows: the product of NAXIS2..NAXISn (1 for a 1-D image, 0 when NAXIS = 0).</summary>
    public long Height => Axes.Count == 0 ? 0 : Axes.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes per stored pixel: |BITPIX| / 8.</summary>
    public int BytesPerPixel => Math.Abs(Bitpix) / 8;

    /// <summary>True for the unsigned-integer conventions (BSCALE 1 with BZERO 2^15, 2^31 or 2^63),
    /// and for signed bytes (BITPIX 8 with BZERO -128).</summary>
    public bool IsUnsignedConvention => BScale == 1 && Bitpix switch
    {
        8 => BZero == -128,
        16 => BZero == 32768,
        32 => BZero == 2147483648.0,
        64 => BZero == 9223372036854775808.0,
        _ => false,
    };

    /// <summary>A short description: index, name and type.</summary>
    public override string ToString() => $"HDU {Index} {(ExtName ?? "(no EXTNAME)")} {Type} BITPIX={Bitpix} [{string.Join(',', Axes)}]";
}
