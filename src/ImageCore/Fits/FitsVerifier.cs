using ImageCore.Simd;

namespace ImageCore.Fits;

/// <summary>
/// Strict conformance checks of a FITS file against the FITS 4.0 standard, with cfitsio's <c>fitsverify</c>
/// grading of errors and warnings: 2880-byte block structure and truncation (also inside the final data
/// padding), every header card's syntax (<see cref="FitsCardCheck"/>), the END card and the header fill,
/// mandatory keywords present, in order, in fixed format and with legal values, mandatory keywords repeated
/// anywhere in the header, keywords not allowed in the HDU's type, binary-table column widths against
/// NAXIS1, data padding, CHECKSUM and DATASUM (a stale sum is a warning, as in fitsverify), and bytes after
/// the last HDU.
/// </summary>
/// <remarks>
/// <see cref="FitsFile"/> reads leniently where astropy does; the verifier is for the question "would
/// fitsverify accept this file". It does bounded work on any input: headers are read one block at a time
/// (up to <see cref="FitsFile.MaxHeaderBytes"/>), data are never held (checksums stream through a 512 KiB
/// buffer, padding is read one block at most), and walking stops at the first HDU whose extent cannot be
/// known.
/// </remarks>
public static class FitsVerifier
{
    private static readonly string[] RegisteredExtensions = ["IMAGE", "TABLE", "BINTABLE", "IUEIMAGE", "A3DTABLE", "FOREIGN", "DUMP"];
    private const int CardsPerBlock = FitsConstants.BlockSize / FitsConstants.CardSize;

    /// <summary>Verifies the file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between HDUs).</exception>
    public static FitsVerifyReport Verify(string path, CancellationToken cancel = default)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return Verify(fs, path, cancel);
    }

    /// <summary>Verifies the FITS bytes of a seekable stream (offsets count from 0); the stream is not disposed.</summary>
    /// <param name="stream">A readable, seekable stream.</param>
    /// <param name="name">The name used in the report.</param>
    /// <param name="cancel">Checked between HDUs.</param>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static FitsVerifyReport Verify(Stream stream, string name, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek) throw new ArgumentException("verification needs a readable, seekable stream", nameof(stream));
        var findings = new List<FitsFinding>();
        long length = stream.Length, pos = 0;
        int index = 0;
        bool extendFalse = false;
        var block = new byte[FitsConstants.BlockSize];
        if (length == 0) findings.Add(new FitsFinding(FitsFindingSeverity.Error, -1, null, null, 0, "the file is empty"));
        while (pos < length)
        {
            cancel.ThrowIfCancellationRequested();
            if (index > 0)
            {
                int n = (int)Math.Min(8, length - pos);
                stream.Position = pos;
                stream.ReadExactly(block.AsSpan(0, n));
                if (!block.AsSpan(0, n).SequenceEqual("XTENSION"u8))
                {
                    findings.Add(new FitsFinding(FitsFindingSeverity.Error, -1, null, null, pos,
                        $"{length - pos} extra bytes after the last HDU (from byte {pos}) do not start an extension (XTENSION)"));
                    break;
                }
            }
            long? next = VerifyHdu(stream, index, pos, length, block, findings, ref extendFalse);
            index++;
            if (next is not long nextPos) break;
            pos = nextPos;
        }
        if (extendFalse && index > 1)
            findings.Add(new FitsFinding(FitsFindingSeverity.Error, 0, null, "EXTEND", 0, "the file has extensions but EXTEND = F"));
        return new FitsVerifyReport(name, index, findings);
    }

    /// <summary>One HDU from <paramref name="start"/>; returns where the next begins, or null when the walk must stop.</summary>
    private static long? VerifyHdu(Stream stream, int index, long start, long length, byte[] block, List<FitsFinding> findings,
                                   ref bool extendFalse)
    {
        void Error(long offset, int? card, string? keyword, string message) =>
            findings.Add(new FitsFinding(FitsFindingSeverity.Error, index, card, keyword, offset, message));

        var cards = new List<VerifiedCard>();
        long pos = start;
        int number = 0;
        bool end = false;
        while (!end)
        {
            if (pos + FitsConstants.BlockSize > length)
            {
                Error(pos, null, null, pos == start ? $"truncated: {length - pos} bytes from byte {pos} are not a whole header block"
                                                    : $"truncated header: the file ends at byte {length}, before the END card");
                return null;
            }
            if (pos - start >= FitsFile.MaxHeaderBytes)
            {
                Error(pos, null, null, $"no END card within {FitsFile.MaxHeaderBytes >> 20} MiB of header");
                return null;
            }
            stream.Position = pos;
            stream.ReadExactly(block);
            if (index == 0 && pos == start && !block.AsSpan(0, 8).SequenceEqual("SIMPLE  "u8))
            {
                Error(0, 1, "SIMPLE", "not a FITS file: the first card is not SIMPLE");
                return null;
            }
            for (int c = 0; c < CardsPerBlock; c++)
            {
                var raw = block.AsSpan(c * FitsConstants.CardSize, FitsConstants.CardSize);
                long at = pos + (long)c * FitsConstants.CardSize;
                number++;
                if (IsEnd(raw))
                {
                    end = true;
                    int nul = raw[3..8].IndexOf((byte)0);
                    int bad = raw[8..].IndexOfAnyExcept((byte)' ');
                    if (nul >= 0) Error(at + 3 + nul, number, "END", $"byte {nul + 4} of the END card is a null (0x00)");
                    else if (bad >= 0) Error(at + 8 + bad, number, "END", "the END card is not blank in columns 9-80");
                    var fill = block.AsSpan((c + 1) * FitsConstants.CardSize);
                    int notBlank = fill.IndexOfAnyExcept((byte)' ');
                    if (notBlank >= 0)
                        Error(at + FitsConstants.CardSize + notBlank, null, null,
                              $"the header fill after the END card is not all blanks (byte 0x{fill[notBlank]:X2} at byte {at + FitsConstants.CardSize + notBlank})");
                    break;
                }
                cards.Add(FitsCardCheck.Check(raw, number, at, index, findings));
            }
            pos += FitsConstants.BlockSize;
        }

        long dataStart = pos;
        if (CheckStructure(index, start, cards, findings, ref extendFalse) is not var (dataBytes, asciiFill)) return null;
        long padded = FitsConstants.PadToBlock(dataBytes);
        if (dataStart + dataBytes > length)
        {
            Error(dataStart, null, null, $"truncated: the data unit needs {dataBytes} bytes from byte {dataStart}; the file ends at byte {length}");
            return null;
        }
        if (dataStart + padded > length)
        {
            Error(length, null, null, $"truncated inside the data padding: the last data block ends at byte {dataStart + padded}; the file ends at byte {length}");
            return null;
        }
        int fillBytes = (int)(padded - dataBytes);
        if (fillBytes > 0)
        {
            stream.Position = dataStart + dataBytes;
            stream.ReadExactly(block.AsSpan(0, fillBytes));
            byte expected = asciiFill ? (byte)' ' : (byte)0;
            int bad = block.AsSpan(0, fillBytes).IndexOfAnyExcept(expected);
            if (bad >= 0)
                Error(dataStart + dataBytes + bad, null, null,
                      $"the data fill after the last data byte must be all {(asciiFill ? "blanks" : "zeros")} (byte 0x{block[bad]:X2} at byte {dataStart + dataBytes + bad})");
        }
        CheckSums(stream, index, start, dataStart, padded, cards, findings);
        return dataStart + padded;
    }

    /// <summary>The END card as cfitsio finds it: END in columns 1-3 ending the keyword name (a blank or, reported as an
    /// error, a null in column 4); what follows in columns 5-8 is not examined, columns 9-80 must be blank.</summary>
    private static bool IsEnd(ReadOnlySpan<byte> card) =>
        card[0] == (byte)'E' && card[1] == (byte)'N' && card[2] == (byte)'D' && card[3] is (byte)' ' or 0;

    /// <summary>CHECKSUM (the whole HDU sums to -0) and DATASUM (the data's sum): a mismatch is a warning, as in fitsverify.</summary>
    private static void CheckSums(Stream stream, int index, long start, long dataStart, long padded, List<VerifiedCard> cards, List<FitsFinding> findings)
    {
        int checksum = cards.FindIndex(c => c.HasValue && c.Keyword == "CHECKSUM");
        int datasum = cards.FindIndex(c => c.HasValue && c.Keyword == "DATASUM");
        if (checksum < 0 && datasum < 0) return;
        uint dataSum = OnesComplementSum.Fold(FitsChecksum.SumRange(stream, dataStart, padded));
        if (datasum >= 0)
        {
            var card = cards[datasum];
            string text = card.Value switch { string s => s, long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => "" };
            if (FitsChecksum.MatchesDatasum(text, dataSum) != true)
                findings.Add(new FitsFinding(FitsFindingSeverity.Warning, index, card.Number, "DATASUM", card.Offset,
                    $"the data's checksum ({dataSum}) does not agree with DATASUM = '{text.Trim()}'"));
        }
        if (checksum >= 0)
        {
            uint headerSum = OnesComplementSum.Fold(FitsChecksum.SumRange(stream, start, dataStart - start));
            if (OnesComplementSum.Combine(headerSum, dataSum) != 0xFFFFFFFFu)
                findings.Add(new FitsFinding(FitsFindingSeverity.Warning, index, cards[checksum].Number, "CHECKSUM", cards[checksum].Offset,
                    "the HDU's checksum does not agree with CHECKSUM: the header or data changed after it was computed"));
        }
    }

    /// <summary>The mandatory keywords and the keywords allowed in this HDU's type; returns the data size and
    /// whether the padding is blanks (ASCII tables), or null when the HDU's extent cannot be known.</summary>
    private static (long DataBytes, bool AsciiFill)? CheckStructure(int index, long start, List<VerifiedCard> cards, List<FitsFinding> findings,
                                                                   ref bool extendFalse)
    {
        bool primary = index == 0;
        var reported = new HashSet<int>();     // card list positions that already carry a structural error
        var mandatory = new HashSet<int>();    // card list positions holding a mandatory keyword in its place
        void Error(int? pos, string? keyword, string message)
        {
            if (pos is int p) reported.Add(p);
            var card = pos is int q ? cards[q] : (VerifiedCard?)null;
            findings.Add(new FitsFinding(FitsFindingSeverity.Error, index, card?.Number, keyword, card?.Offset ?? start, message));
        }
        int Find(string keyword) => cards.FindIndex(c => c.HasValue && c.Keyword == keyword);

        int? Mandatory(int pos, string keyword)
        {
            if (pos < cards.Count && cards[pos].HasValue && cards[pos].Keyword == keyword)
            {
                mandatory.Add(pos);
                return pos;
            }
            int found = Find(keyword);
            if (found >= 0)
            {
                Error(found, keyword, $"mandatory keyword {keyword} must be card {pos + 1}, not card {cards[found].Number}");
                return found;
            }
            Error(null, keyword, $"mandatory keyword {keyword} is missing (it belongs in card {pos + 1})");
            return null;
        }
        long? MandatoryInteger(int pos, string keyword, long min, long max)
        {
            if (Mandatory(pos, keyword) is not int at) return null;
            var c = cards[at];
            if (c.Kind != FitsValueKind.Integer || c.Value is not long v)
            {
                if (!c.Faulty) Error(at, keyword, $"{keyword} must be an integer");
                return null;
            }
            if (!c.FixedFormat && !c.Faulty) Error(at, keyword, $"{keyword} is not in fixed format (an integer right-justified to column 30)");
            if (v < min || v > max)
            {
                Error(at, keyword, $"{keyword} = {v} is outside {min}..{max}");
                return null;
            }
            return v;
        }

        string? xtension = null;
        var first = cards.Count > 0 ? cards[0] : default;
        if (primary)
        {
            mandatory.Add(0);
            if (first.Kind != FitsValueKind.Logical) { if (!first.Faulty) Error(0, "SIMPLE", "SIMPLE must be the logical T"); }
            else if (!first.FixedFormat) Error(0, "SIMPLE", "SIMPLE is not in fixed format (T or F in column 30)");
            else if (first.Value is false)
                findings.Add(new FitsFinding(FitsFindingSeverity.Warning, 0, 1, "SIMPLE", start, "SIMPLE = F: the file may not conform to the FITS standard"));
        }
        else
        {
            mandatory.Add(0);
            if (first.Kind != FitsValueKind.String) { if (!first.Faulty) Error(0, "XTENSION", "XTENSION must be a string"); }
            else
            {
                xtension = ((string)first.Value!).TrimEnd();
                if (!first.FixedFormat) Error(0, "XTENSION", "XTENSION is not in fixed format (a string from column 11 closing in column 20 or later)");
                else if (Array.IndexOf(RegisteredExtensions, xtension) < 0) Error(0, "XTENSION", $"XTENSION = '{xtension}' is not a registered extension type");
            }
        }

        if (MandatoryInteger(1, "BITPIX", -64, 64) is not long bitpixValue) return null;
        int bitpix = (int)bitpixValue;
        if (Array.IndexOf(FitsStructure.ValidBitpix, bitpix) < 0)
        {
            Error(cards.FindIndex(c => c.Keyword == "BITPIX"), "BITPIX", $"BITPIX = {bitpix} is not one of 8, 16, 32, 64, -32, -64");
            return null;
        }
        if (MandatoryInteger(2, "NAXIS", 0, 999) is not long naxisValue) return null;
        int naxis = (int)naxisValue;
        var axes = new long[naxis];
        for (int i = 0; i < naxis; i++)
        {
            if (MandatoryInteger(3 + i, $"NAXIS{i + 1}", 0, long.MaxValue) is not long axis) return null;
            axes[i] = axis;
        }

        long pcount = 0, gcount = 1;
        long? sizePcount = null, sizeGcount = null;
        long? tfields = null;
        bool groups = false, table = false, ascii = false;
        if (primary)
        {
            int g = Find("GROUPS");
            groups = naxis >= 1 && axes[0] == 0 && g >= 0 && cards[g].Value is true;
            if (groups)
            {
                int p = Find("PCOUNT"), q = Find("GCOUNT");
                pcount = p >= 0 && cards[p].Value is long pv ? pv : 0;
                gcount = q >= 0 && cards[q].Value is long qv ? qv : 1;
                if (pcount < 0 || gcount < 0) { Error(p, "PCOUNT", "PCOUNT and GCOUNT must not be negative"); return null; }
            }
        }
        else
        {
            if (MandatoryInteger(3 + naxis, "PCOUNT", 0, long.MaxValue) is not long p) return null;
            if (MandatoryInteger(4 + naxis, "GCOUNT", 0, long.MaxValue) is not long q) return null;
            (pcount, gcount) = (p, q);
            // cfitsio sizes an IMAGE extension's data with the last PCOUNT and GCOUNT when they are repeated (the first are
            // the ones checked); a repeat is a warning below, the size it gives decides where the next HDU starts.
            int lastP = cards.FindLastIndex(c => c.HasValue && c.Keyword == "PCOUNT"), lastQ = cards.FindLastIndex(c => c.HasValue && c.Keyword == "GCOUNT");
            if (xtension is "IMAGE")   // tables are sized from the keywords in their places
            {
                foreach (int last in (int[])[lastP, lastQ])
                    if (cards[last].Value is not (long and >= 0) && !cards[last].Faulty)
                        Error(last, cards[last].Keyword, $"the repeated {cards[last].Keyword} in card {cards[last].Number} is not a non-negative integer (cfitsio sizes the data with the last one)");
                (sizePcount, sizeGcount) = (cards[lastP].Value is long lp and >= 0 ? lp : p, cards[lastQ].Value is long lq and >= 0 ? lq : q);
            }
            table = xtension is "BINTABLE" or "TABLE";
            ascii = xtension == "TABLE";
            if (xtension == "IMAGE")
            {
                if (pcount != 0) Error(Find("PCOUNT"), "PCOUNT", $"an IMAGE extension needs PCOUNT = 0, not {pcount}");
                if (gcount != 1) Error(Find("GCOUNT"), "GCOUNT", $"an IMAGE extension needs GCOUNT = 1, not {gcount}");
            }
            if (table)
            {
                if (bitpix != 8) Error(Find("BITPIX"), "BITPIX", $"a {xtension} extension needs BITPIX = 8, not {bitpix}");
                if (naxis != 2) Error(Find("NAXIS"), "NAXIS", $"a {xtension} extension needs NAXIS = 2, not {naxis}");
                if (gcount != 1) Error(Find("GCOUNT"), "GCOUNT", $"a {xtension} extension needs GCOUNT = 1, not {gcount}");
                if (ascii && pcount != 0) Error(Find("PCOUNT"), "PCOUNT", $"a TABLE extension needs PCOUNT = 0, not {pcount}");
                tfields = MandatoryInteger(5 + naxis, "TFIELDS", 0, 999);
                if (!ascii && naxis == 2 && tfields is long t) CheckColumnWidths(cards, t, axes[0], Find, Error);
            }
        }

        for (int i = 0; primary && i < cards.Count; i++)
        {
            var c = cards[i];
            if (c.Keyword != "EXTEND" || c.Faulty) continue;
            if (c.Kind is not (FitsValueKind.Logical or FitsValueKind.Undefined))
                Error(i, "EXTEND", "EXTEND must have a logical value (T or F)");
            else if (c.Value is false) extendFalse = true;
        }

        bool image = !table && (primary || xtension is "IMAGE");
        if (image && bitpix < 0 && Find("BLANK") is int blank and >= 0)
            Error(blank, "BLANK", $"BLANK must not be used with floating-point data (BITPIX = {bitpix})");
        var firstSeen = new Dictionary<string, int>();
        for (int i = 0; i < cards.Count; i++)
        {
            var c = cards[i];
            if (!c.HasValue || mandatory.Contains(i) || reported.Contains(i) || c.Faulty) continue;
            string k = c.Keyword;
            bool indexed = FitsCardCheck.TryIndexed(k, out string root, out int n);
            if (k is "SIMPLE" or "BITPIX" or "NAXIS" or "XTENSION" || indexed && root == "NAXIS")
                Error(i, k, indexed && root == "NAXIS" && n > naxis ? $"{k} is not allowed with NAXIS = {naxis}" : $"{k} is duplicated or out of order");
            else if (primary && !groups && k is "PCOUNT" or "GCOUNT") Error(i, k, $"{k} is not allowed in a primary HDU");
            else if (!primary && k == "EXTEND") Error(i, k, "EXTEND is not allowed in an extension");
            else if (image && FitsCardCheck.IsTableKeyword(k)) Error(i, k, $"{k} is not allowed in an image HDU");
            else if (table && k is "BSCALE" or "BZERO" or "BLANK") Error(i, k, $"{k} is not allowed in a table");
            else if (table && indexed && tfields is long t && n > t && FitsCardCheck.IsTableKeyword(k))
                Error(i, k, $"{k}: column {n} is beyond TFIELDS = {t}");
            else if (firstSeen.TryGetValue(k, out int before))
                findings.Add(new FitsFinding(FitsFindingSeverity.Warning, index, c.Number, k, c.Offset,
                    $"{k} is duplicated (first in card {cards[before].Number})"));
            firstSeen.TryAdd(k, i);
        }

        try
        {
            long bytes = FitsStructure.DataBytes(bitpix, axes, groups, sizePcount ?? pcount, sizeGcount ?? gcount);
            if (bytes > long.MaxValue / 4) throw new OverflowException();   // keeps every offset sum below long.MaxValue
            return (bytes, ascii);
        }
        catch (OverflowException)
        {
            Error(null, "NAXIS", $"the axes [{string.Join(", ", axes)}] describe more data than a file can hold");
            return null;
        }
    }

    /// <summary>Every TFORMn of a binary table present and legal, and NAXIS1 the sum of the column widths.</summary>
    private static void CheckColumnWidths(List<VerifiedCard> cards, long tfields, long naxis1, Func<string, int> find, Action<int?, string?, string> error)
    {
        long sum = 0;
        for (int n = 1; n <= tfields; n++)
        {
            string k = $"TFORM{n}";
            int at = find(k);
            if (at < 0)
            {
                error(null, k, $"{k} is missing (TFIELDS = {tfields})");
                return;
            }
            if (cards[at].Faulty) return;
            if (cards[at].Value is not string tform) return;   // the type error is already reported
            if (BinaryColumnWidth(tform.Trim()) is not long width)
            {
                error(at, k, $"{k} = '{tform.Trim()}' is not a binary table column format");
                return;
            }
            sum = checked(sum + width);
        }
        if (sum != naxis1) error(cards.FindIndex(c => c.Keyword == "NAXIS1"), "NAXIS1", $"NAXIS1 = {naxis1} is not the sum of the column widths ({sum} bytes)");
    }

    /// <summary>Bytes per row of a binary-table column format rT (FITS 4.0 table 18), or null when illegal.</summary>
    private static long? BinaryColumnWidth(string tform)
    {
        int i = 0;
        while (i < tform.Length && char.IsAsciiDigit(tform[i])) i++;
        if (i == tform.Length || i > 12) return null;
        long repeat = i == 0 ? 1 : long.Parse(tform.AsSpan(0, i), System.Globalization.CultureInfo.InvariantCulture);
        foreach (char ch in tform) if (char.IsAsciiLetterLower(ch)) return null;
        long? size = tform[i] switch
        {
            'L' or 'B' or 'A' => 1, 'I' => 2, 'J' or 'E' => 4, 'K' or 'D' or 'C' or 'P' => 8, 'M' or 'Q' => 16,
            'X' => null, _ => -1,
        };
        if (tform[i] == 'X') return (repeat + 7) / 8;
        if (size is not long s || s < 0) return null;
        if (tform[i] is 'P' or 'Q' && (i + 1 >= tform.Length || "LXBIJKAEDCM".IndexOf(tform[i + 1]) < 0)) return null;
        return checked(repeat * s);
    }
}
