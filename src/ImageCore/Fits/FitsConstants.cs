namespace ImageCore.Fits;

/// <summary>Fixed numbers of the FITS standard.</summary>
internal static class FitsConstants
{
    /// <summary>The logical record: every header and data unit is a multiple of 2880 bytes.</summary>
    public const int BlockSize = 2880;

    /// <summary>One header card: 80 ASCII characters.</summary>
    public const int CardSize = 80;

    /// <summary>Rounds <paramref name="bytes"/> up to a whole number of blocks.</summary>
    public static long PadToBlock(long bytes) => (bytes + BlockSize - 1) / BlockSize * BlockSize;
}
