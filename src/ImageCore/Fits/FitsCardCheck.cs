using System.Text;

namespace ImageCore.Fits;

/// <summary>One header card as the verifier keeps it: where it is, its keyword and its value if it parsed.</summary>
/// <param name="Number">One-based card number in the header.</param>
/// <param name="Offset">Byte offset of the card in the file.</param>
/// <param name="Keyword">The keyword (columns 1-8, trailing blanks removed).</param>
/// <param name="HasValue">True when the card has a value indicator (<c>= </c> in columns 9-10) and is not commentary.</param>
/// <param name="Kind">The value's kind; <see cref="FitsValueKind.Undefined"/> when absent or unparsable.</param>
/// <param name="Value">The value as <see cref="FitsCard.Value"/> holds it, or null.</param>
/// <param name="FixedFormat">The value is in the fixed format of FITS 4.0 section 4.2: a logical or integer
/// right-justified to column 30, or a string starting in column 11 and closing in column 20 or later.</param>
/// <param name="Faulty">The card already has an error (no further findings are added for it).</param>
internal readonly record struct VerifiedCard(int Number, long Offset, string Keyword, bool HasValue, FitsValueKind Kind,
                                             object? Value, bool FixedFormat, bool Faulty);

/// <summary>
/// The card-level rules of FITS 4.0 section 4 as <c>fitsverify</c> enforces them: printable ASCII only, keyword
/// names left-justified and made of <c>A-Z 0-9 - _</c>, value syntax (closed strings, a <c>/</c> before the
/// comment, upper-case exponents, closed complex values), and the types of reserved keywords.
/// </summary>
internal static class FitsCardCheck
{
    private enum Expected { Number, Integer, String, Logical }

    private static readonly Dictionary<string, Expected> Reserved = new()
    {
        ["BSCALE"] = Expected.Number, ["BZERO"] = Expected.Number, ["BLANK"] = Expected.Integer,
        ["EXTNAME"] = Expected.String, ["EXTVER"] = Expected.Integer, ["EXTLEVEL"] = Expected.Integer,
        ["BUNIT"] = Expected.String, ["DATE"] = Expected.String, ["DATE-OBS"] = Expected.String,
        ["OBJECT"] = Expected.String, ["TELESCOP"] = Expected.String, ["INSTRUME"] = Expected.String, ["OBSERVER"] = Expected.String,
        ["ORIGIN"] = Expected.String, ["AUTHOR"] = Expected.String, ["REFERENC"] = Expected.String,
        ["EQUINOX"] = Expected.Number, ["EPOCH"] = Expected.Number, ["DATAMAX"] = Expected.Number, ["DATAMIN"] = Expected.Number,
        ["THEAP"] = Expected.Integer,
    };

    private static readonly Dictionary<string, Expected> ReservedIndexed = new()
    {
        ["TTYPE"] = Expected.String, ["TFORM"] = Expected.String, ["TUNIT"] = Expected.String, ["TDISP"] = Expected.String,
        ["TDIM"] = Expected.String, ["TSCAL"] = Expected.Number, ["TZERO"] = Expected.Number, ["TBCOL"] = Expected.Integer,
    };

    /// <summary>Checks one 80-byte card (not END); adds its findings and returns what the structure checks need.</summary>
    public static VerifiedCard Check(ReadOnlySpan<byte> raw, int number, long offset, int hdu, List<FitsFinding> findings)
    {
        bool faulty = false;
        void Error(string? keyword, string message)
        {
            if (faulty) return;
            faulty = true;
            findings.Add(new FitsFinding(FitsFindingSeverity.Error, hdu, number, keyword, offset, message));
        }

        string card = Sanitise(raw, out int bad);
        if (bad >= 0)
            Error(NameOf(card), raw[bad] == 0 ? $"byte {bad + 1} of the card is a null (0x00)"
                                              : $"byte {bad + 1} of the card is 0x{raw[bad]:X2}, not printable ASCII text");

        string field8 = card[..8];
        string keyword = field8.TrimEnd();
        if (keyword.Length > 0 && keyword[0] == ' ')
            Error(keyword.Trim(), $"keyword name '{field8}' is not left-justified in columns 1-8");
        else
            foreach (char c in keyword)
                if (!(c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_'))
                {
                    Error(keyword, $"keyword name '{keyword}' contains '{c}', which is not an upper-case letter, digit, hyphen or underscore");
                    break;
                }
        keyword = keyword.Trim();

        // The value indicator is "= " in columns 9-10; fitsverify (through cfitsio) also reads a value after '=' when
        // column 10 starts one (a quote, parenthesis, sign, digit, point, T or F).
        bool hasValue = card[8] == '=' && keyword is not ("" or "COMMENT" or "HISTORY") && (card[9] == ' ' || "'(+-.0123456789TF".Contains(card[9]));
        if (!hasValue)
        {
            if (card[8] == '=' && Reserved.TryGetValue(keyword, out var expected))
                Error(keyword, $"{keyword} must have a{Article(expected)} value; '=' in column 9 is not followed by one");
            return new VerifiedCard(number, offset, keyword, false, FitsValueKind.Commentary, null, false, faulty);
        }

        // cfitsio reads BITPIX and NAXIS as one token after the '='; fitsverify does not look past it on those cards.
        string field = keyword is "BITPIX" or "NAXIS" ? card[9..ValueTokenEnd(raw)] : card[9..];
        string trimmed = field.Trim();
        if (trimmed.Length == 0 || trimmed[0] == '/')
        {
            if (keyword is "CHECKSUM" or "DATASUM" or "EXTEND")
            {
                Error(keyword, keyword == "EXTEND" ? "EXTEND has no value; it must be T or F" : $"{keyword} has no value, so the checksums cannot be verified");
                return new VerifiedCard(number, offset, keyword, true, FitsValueKind.Undefined, null, false, faulty);
            }
            if (!faulty) findings.Add(new FitsFinding(FitsFindingSeverity.Warning, hdu, number, keyword, offset, $"{keyword} has a null (undefined) value"));
            return new VerifiedCard(number, offset, keyword, true, FitsValueKind.Undefined, null, false, faulty);
        }
        if (!FitsHeaderParser.TryParseValue(field, out var kind, out var value, out _, out string? problem))
        {
            Error(keyword, $"{keyword}: {problem}");
            return new VerifiedCard(number, offset, keyword, true, FitsValueKind.Undefined, null, false, faulty);
        }
        if (kind is FitsValueKind.Real or FitsValueKind.Complex)
        {
            string token = trimmed.Split('/')[0];
            if (token.IndexOfAny(['e', 'd']) >= 0) Error(keyword, $"{keyword}: a lower-case exponent (e or d) is not allowed in '{token.Trim()}'");
        }
        CheckReservedType(keyword, kind, Error);

        bool fixedFormat = kind switch
        {
            FitsValueKind.Logical or FitsValueKind.Integer => EndsInColumn30(card, trimmed),
            FitsValueKind.String => card[10] == '\'' && card.IndexOf('\'', 11) is int close && close >= 19,
            _ => false,
        };
        return new VerifiedCard(number, offset, keyword, true, kind, value, fixedFormat, faulty);
    }

    private static bool EndsInColumn30(string card, string trimmedField)
    {
        string token = trimmedField.Split('/')[0].Trim();
        int start = card.IndexOf(token, 10, StringComparison.Ordinal);
        return start >= 10 && start + token.Length == 30;
    }

    /// <summary>
    /// The card as text, and the first byte that is an error (or -1). Bytes outside printable ASCII are errors, with
    /// fitsverify's exceptions: white-space control characters (TAB, LF, VT, FF, CR) in a value field outside a string
    /// from column 11 and before the comment, or in columns 2-8 after a keyword name ended by a blank or line feed, are
    /// read as blanks, and on the BITPIX and NAXIS cards only the name and the value token are examined. A null byte is
    /// an error anywhere.
    /// </summary>
    private static string Sanitise(ReadOnlySpan<byte> raw, out int bad)
    {
        bad = raw.IndexOfAnyExceptInRange((byte)' ', (byte)'~');
        if (bad < 0) return Encoding.ASCII.GetString(raw);
        var chars = new char[FitsConstants.CardSize];
        for (int i = 0; i < chars.Length; i++) chars[i] = raw[i] is >= (byte)' ' and <= (byte)'~' ? (char)raw[i] : '?';
        bool valued = raw[8] == (byte)'=' && !raw[..8].SequenceEqual("COMMENT "u8) && !raw[..8].SequenceEqual("HISTORY "u8);
        bool structural = IsStructural(raw[..8]);
        bool mandatoryShort = raw.StartsWith("BITPIX "u8) || raw.StartsWith("NAXIS "u8);
        int tokenEnd = ValueTokenEnd(raw);
        int nameEnd = raw[..8].IndexOfAny((byte)' ', (byte)10) is int e and > 0 ? e : 8;
        bad = -1;
        bool quoted = false, comment = false;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (valued && i >= 9 && !comment)
            {
                if (b == (byte)'\'') quoted = !quoted;
                else if (b == (byte)'/' && !quoted) comment = true;
            }
            if (b is >= (byte)' ' and <= (byte)'~') continue;
            bool forgiven = b != 0 && (mandatoryShort && (i >= tokenEnd || i >= nameEnd && i < 8) ||
                                       i > 0 && i >= nameEnd && i < 8 && b is 9 or 10 or 11 or 12 or 13 ||
                                       valued && i >= 10 && (!structural || i >= tokenEnd) && !quoted && !comment && b is 9 or 10 or 11 or 12 or 13);
            if (forgiven) chars[i] = ' ';
            else if (bad < 0) bad = i;
        }
        return new string(chars);
    }

    /// <summary>The keywords cfitsio reads to find an HDU's structure: a control character in or before their value is an error.</summary>
    private static bool IsStructural(ReadOnlySpan<byte> name)
    {
        string k = Encoding.ASCII.GetString(name).TrimEnd();
        return k is "SIMPLE" or "XTENSION" or "BITPIX" or "NAXIS" or "PCOUNT" or "GCOUNT" or "TFIELDS" or "EXTEND" or "GROUPS"
               || TryIndexed(k, out string root, out _) && root == "NAXIS";
    }

    /// <summary>Where the value token of a card ends: from column 10, past blanks, to the next blank or '/'.</summary>
    private static int ValueTokenEnd(ReadOnlySpan<byte> raw)
    {
        int i = 9;
        while (i < raw.Length && raw[i] == (byte)' ') i++;
        while (i < raw.Length && raw[i] != (byte)' ' && raw[i] != (byte)'/') i++;
        return i;
    }

    /// <summary>Splits an indexed keyword (TFORM12) into its root and index; false when it has no trailing number.</summary>
    public static bool TryIndexed(string keyword, out string root, out int index)
    {
        int i = keyword.Length;
        while (i > 0 && char.IsAsciiDigit(keyword[i - 1])) i--;
        root = keyword[..i];
        index = 0;
        return i > 0 && i < keyword.Length && keyword[i] != '0' && int.TryParse(keyword[i..], out index);
    }

    /// <summary>True for the column keywords of tables (TTYPEn, TFORMn, ...) and TFIELDS, which an image HDU must not hold.</summary>
    public static bool IsTableKeyword(string keyword) =>
        keyword is "TFIELDS" or "THEAP" ||
        TryIndexed(keyword, out string root, out _) && (ReservedIndexed.ContainsKey(root) || root == "TNULL");

    private static void CheckReservedType(string keyword, FitsValueKind kind, Action<string?, string> error)
    {
        if (!Reserved.TryGetValue(keyword, out var expected) &&
            !(TryIndexed(keyword, out string root, out _) && ReservedIndexed.TryGetValue(root, out expected)))
            return;
        bool ok = expected switch
        {
            Expected.Number => kind is FitsValueKind.Integer or FitsValueKind.Real,
            Expected.Integer => kind == FitsValueKind.Integer,
            Expected.String => kind == FitsValueKind.String,
            _ => kind == FitsValueKind.Logical,
        };
        if (!ok) error(keyword, $"{keyword} must have a{Article(expected)} value, not a {kind.ToString().ToLowerInvariant()}");
    }

    private static string Article(Expected expected) => expected switch
    {
        Expected.Integer => "n integer",
        Expected.Number => " numeric",
        Expected.String => " string",
        _ => " logical",
    };

    private static string? NameOf(string card)
    {
        string k = card[..8].Trim();
        return k.Length == 0 ? null : k;
    }
}
