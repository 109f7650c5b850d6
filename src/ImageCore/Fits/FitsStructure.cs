namespace ImageCore.Fits;

/// <summary>Validates the mandatory keywords of a header (FITS 4.0 sections 4.4.1, 7) and works out
/// the type and data size of its HDU.</summary>
internal static class FitsStructure
{
    public static readonly int[] ValidBitpix = [8, 16, 32, 64, -32, -64];

    /// <summary>Bytes in the data unit (padding excluded): |BITPIX| / 8 x GCOUNT x (PCOUNT + NAXIS1 x ... x NAXISn),
    /// NAXIS1 left out of the product for random groups (FITS 4.0 sections 4.4.1.1, 6, 7).</summary>
    /// <exception cref="OverflowException">The size does not fit a 64-bit integer.</exception>
    public static long DataBytes(int bitpix, long[] axes, bool groups, long pcount, long gcount)
    {
        checked
        {
            if (axes.Length == 0 && pcount == 0) return 0;
            long product = axes.Length == 0 ? 0 : 1;
            for (int i = groups ? 1 : 0; i < axes.Length; i++) product *= axes[i];
            return Math.Abs(bitpix) / 8 * gcount * (pcount + product);
        }
    }

    public static FitsHdu Build(string file, int index, FitsHeader header, long headerOffset, long dataOffset, long fileLength)
    {
        FitsFormatException Fail(string? keyword, string problem) => new(file, index, headerOffset, keyword, problem);

        int pos = 0;
        FitsCard Expect(string keyword)
        {
            if (pos >= header.Count || header[pos].Keyword != keyword)
                throw Fail(keyword, $"mandatory keyword {keyword} must be card {pos + 1}" +
                                    (pos < header.Count ? $" (found '{header[pos].Keyword}')" : ""));
            return header[pos++];
        }
        long ExpectInt(string keyword, long min, long max)
        {
            var c = Expect(keyword);
            if (c.Kind != FitsValueKind.Integer || c.Value is not long v)
                throw Fail(keyword, $"{keyword} must be an integer");
            if (v < min || v > max) throw Fail(keyword, $"{keyword} = {v} is outside {min}..{max}");
            return v;
        }

        string? xtension = null;
        if (index == 0)
        {
            var simple = Expect("SIMPLE");
            if (simple.Kind != FitsValueKind.Logical || !(bool)simple.Value!)
                throw Fail("SIMPLE", "SIMPLE must be T for a standard FITS file");
        }
        else
        {
            var x = Expect("XTENSION");
            if (x.Kind != FitsValueKind.String || string.IsNullOrWhiteSpace((string)x.Value!))
                throw Fail("XTENSION", "XTENSION must be a non-empty string");
            xtension = ((string)x.Value!).Trim();
        }
        int bitpix = (int)ExpectInt("BITPIX", -64, 64);
        if (Array.IndexOf(ValidBitpix, bitpix) < 0) throw Fail("BITPIX", $"BITPIX = {bitpix} is not one of 8, 16, 32, 64, -32, -64");
        int naxis = (int)ExpectInt("NAXIS", 0, 999);
        var axes = new long[naxis];
        for (int i = 0; i < naxis; i++) axes[i] = ExpectInt($"NAXIS{i + 1}", 0, long.MaxValue);

        long pcount = 0, gcount = 1;
        if (index > 0)
        {
            pcount = ExpectInt("PCOUNT", 0, long.MaxValue);
            gcount = ExpectInt("GCOUNT", 0, long.MaxValue);
        }

        FitsHduType type;
        bool groups = false;
        if (index == 0)
        {
            groups = naxis >= 1 && axes[0] == 0 && header.Find("GROUPS") is { Kind: FitsValueKind.Logical, Value: true };
            if (groups)
            {
                pcount = header.Contains("PCOUNT") ? header.GetInt64("PCOUNT") : 0;
                gcount = header.Contains("GCOUNT") ? header.GetInt64("GCOUNT") : 1;
                if (pcount < 0 || gcount < 0) throw Fail("PCOUNT", "PCOUNT and GCOUNT must not be negative");
            }
            type = groups ? FitsHduType.RandomGroups : FitsHduType.Image;
        }
        else
        {
            bool zimage = header.Find("ZIMAGE") is { Kind: FitsValueKind.Logical, Value: true };
            type = xtension switch
            {
                "IMAGE" => FitsHduType.Image,
                "BINTABLE" => zimage ? FitsHduType.CompressedImage : FitsHduType.BinaryTable,
                "TABLE" => FitsHduType.AsciiTable,
                _ => FitsHduType.Other,
            };
            if (type == FitsHduType.Image && (pcount != 0 || gcount != 1))
                throw Fail("PCOUNT", $"an IMAGE extension needs PCOUNT = 0 and GCOUNT = 1 (found {pcount}, {gcount})");
            if (type is FitsHduType.BinaryTable or FitsHduType.CompressedImage or FitsHduType.AsciiTable && naxis != 2)
                throw Fail("NAXIS", $"a {xtension} extension needs NAXIS = 2 (found {naxis})");
        }

        long dataBytes;
        try
        {
            dataBytes = DataBytes(bitpix, axes, groups, pcount, gcount);
            _ = checked(dataOffset + FitsConstants.PadToBlock(dataBytes));
        }
        catch (OverflowException)
        {
            throw Fail("NAXIS", $"the axes [{string.Join(", ", axes)}] describe more data than a file can hold");
        }
        if (dataOffset + dataBytes > fileLength)
            throw new FitsFormatException(file, index, dataOffset, null,
                $"truncated: the header describes {dataBytes} data bytes from byte {dataOffset}, but the file ends at byte {fileLength}");

        var hdu = new FitsHdu(index, header, type, headerOffset, dataOffset, dataBytes, axes);
        if (hdu.BScale == 0) throw Fail("BSCALE", "BSCALE must not be 0");
        return hdu;
    }
}
