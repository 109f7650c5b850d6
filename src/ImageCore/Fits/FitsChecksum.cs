using System.Buffers;
using System.Globalization;
using ImageCore.Simd;

namespace ImageCore.Fits;

/// <summary>
/// The FITS checksum convention (FITS 4.0 appendix J): DATASUM is the unsigned decimal 32-bit ones'
/// complement sum of the data blocks; CHECKSUM is a 16-character ASCII encoding chosen so that the
/// sum of the whole HDU (header and data) is -0 (all ones).
/// </summary>
public static class FitsChecksum
{
    /// <summary>The CHECKSUM placeholder while the header sum is computed.</summary>
    public const string Placeholder = "0000000000000000";

    /// <summary>Encodes the complement of <paramref name="sum"/> as the 16 ASCII characters of a
    /// CHECKSUM value: every character is alphanumeric and the encoded words sum to ~<paramref name="sum"/>.</summary>
    public static string Encode(uint sum)
    {
        uint value = ~sum;
        Span<char> asc = stackalloc char[16];
        Span<int> ch = stackalloc int[4];
        for (int i = 0; i < 4; i++)
        {
            int b = (int)((value >> (24 - 8 * i)) & 0xFF);
            int quotient = b / 4 + '0', remainder = b % 4;
            ch.Fill(quotient);
            ch[0] += remainder;
            // Keep every character alphanumeric: move pairs off the punctuation between '9' and 'A'
            // and between 'Z' and 'a', preserving the sum.
            bool moved = true;
            while (moved)
            {
                moved = false;
                for (int j = 0; j < 4; j += 2)
                    if (IsPunctuation(ch[j]) || IsPunctuation(ch[j + 1]))
                    {
                        ch[j]++;
                        ch[j + 1]--;
                        moved = true;
                    }
            }
            for (int j = 0; j < 4; j++) asc[4 * j + i] = (char)ch[j];
        }
        // Rotate right by one character so that the encoded value lands on a 4-byte word boundary
        // in the card (the value starts at byte 11 of an 80-byte card).
        var result = new char[16];
        for (int i = 0; i < 16; i++) result[i] = asc[(i + 15) % 16];
        return new string(result);
    }

    /// <summary>The ones' complement accumulator of <paramref name="count"/> bytes of <paramref name="stream"/> from
    /// <paramref name="offset"/>, read in 512 KiB pieces (bounded memory for any size).</summary>
    /// <exception cref="EndOfStreamException">The stream ends first.</exception>
    internal static ulong SumRange(Stream stream, long offset, long count)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(FitsFile.ChunkBytes, Math.Max(count, 4)));
        try
        {
            ulong acc = 0;
            stream.Position = offset;
            while (count > 0)
            {
                int n = (int)Math.Min(buffer.Length, count);
                stream.ReadExactly(buffer.AsSpan(0, n));
                acc = OnesComplementSum.Fold(OnesComplementSum.Add(acc, buffer.AsSpan(0, n)));
                count -= n;
            }
            return acc;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether a DATASUM value (an unsigned decimal integer, as a string) equals <paramref name="dataSum"/>;
    /// null when the text is not such an integer.</summary>
    internal static bool? MatchesDatasum(string text, uint dataSum) =>
        uint.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out uint expected) ? expected == dataSum : null;

    private static bool IsPunctuation(int c) => c is >= 0x3A and <= 0x40 or >= 0x5B and <= 0x60;
}

/// <summary>The outcome of verifying one HDU's CHECKSUM and DATASUM keywords.</summary>
/// <param name="Checksum">Whole-HDU check: true, false, or null when CHECKSUM is absent.</param>
/// <param name="Datasum">Data check: true, false, or null when DATASUM is absent.</param>
public readonly record struct FitsChecksumResult(bool? Checksum, bool? Datasum)
{
    /// <summary>True when neither check failed (absent keywords do not fail).</summary>
    public bool IsValid => Checksum != false && Datasum != false;
}
