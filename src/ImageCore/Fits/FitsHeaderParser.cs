using System.Globalization;
using System.Numerics;
using System.Text;

namespace ImageCore.Fits;

/// <summary>Parses 80-byte card images into a <see cref="FitsHeader"/> (FITS 4.0 section 4).</summary>
internal static class FitsHeaderParser
{
    private sealed class CardError(string problem) : Exception(problem);

    /// <summary>Finds the END card in a block of header bytes; returns its card index or -1.</summary>
    public static int FindEnd(ReadOnlySpan<byte> block)
    {
        for (int c = 0; c + FitsConstants.CardSize <= block.Length; c += FitsConstants.CardSize)
        {
            var card = block.Slice(c, FitsConstants.CardSize);
            if (card[0] == (byte)'E' && card[1] == (byte)'N' && card[2] == (byte)'D' && card[3..8].IndexOfAnyExcept((byte)' ') < 0)
                return c / FitsConstants.CardSize;
        }
        return -1;
    }

    /// <summary>Parses <paramref name="cardCount"/> cards (the END card excluded).</summary>
    /// <param name="bytes">Header bytes starting at the first card.</param>
    /// <param name="cardCount">Cards before END.</param>
    /// <param name="file">File name for errors.</param>
    /// <param name="hdu">HDU index for errors.</param>
    /// <param name="baseOffset">File offset of <paramref name="bytes"/>[0], for errors.</param>
    /// <exception cref="FitsFormatException">A card is malformed.</exception>
    public static FitsHeader Parse(ReadOnlySpan<byte> bytes, int cardCount, string file, int hdu, long baseOffset)
    {
        var header = new FitsHeader(file, hdu);
        FitsCard? open = null;       // a string card whose value ends in '&', awaiting CONTINUE
        var openValue = new StringBuilder();
        var openComment = new StringBuilder();

        for (int c = 0; c < cardCount; c++)
        {
            long offset = baseOffset + (long)c * FitsConstants.CardSize;
            var raw = bytes.Slice(c * FitsConstants.CardSize, FitsConstants.CardSize);
            int bad = raw.IndexOfAnyExceptInRange((byte)' ', (byte)'~');
            if (bad >= 0)
                throw new FitsFormatException(file, hdu, offset + bad, null, $"header byte 0x{raw[bad]:X2} is not printable ASCII");
            string card = Encoding.ASCII.GetString(raw);
            string keyword = card[..8].TrimEnd();

            if (keyword == "CONTINUE" && open is not null && card[8..10] == "  " && card[10..].TrimStart().StartsWith('\''))
            {
                try
                {
                    var (kind, value, comment) = ParseValue(card[10..]);
                    if (kind != FitsValueKind.String) throw new CardError("CONTINUE must hold a string");
                    AppendContinued((string)value!, comment);
                    continue;
                }
                catch (CardError e)
                {
                    throw new FitsFormatException(file, hdu, offset, keyword, e.Message);
                }
            }
            Flush();

            try
            {
                FitsCard parsed;
                if (keyword == "HIERARCH" && card.IndexOf('=', 8) is int eq and > 8)
                {
                    string hk = string.Join(' ', card[8..eq].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    if (hk.Length == 0) throw new CardError("HIERARCH card has no keyword");
                    var (kind, value, comment) = ParseValue(card[(eq + 1)..]);
                    parsed = FitsCard.Parsed(hk, kind, value, comment);
                }
                else
                {
                    if (keyword.Length > 0 && !FitsCard.IsStandardKeyword(keyword))
                        throw new CardError($"keyword '{keyword}' has characters outside A-Z 0-9 - _");
                    if (card[..8].TrimStart().Length != card[..8].Length && keyword.Length > 0)
                        throw new CardError($"keyword '{card[..8]}' does not start in column 1");
                    bool commentary = keyword is "" or "COMMENT" or "HISTORY" || card[8..10] != "= ";
                    if (commentary)
                        parsed = FitsCard.Parsed(keyword, FitsValueKind.Commentary, card[8..].TrimEnd(), null);
                    else
                    {
                        var (kind, value, comment) = ParseValue(card[10..]);
                        parsed = FitsCard.Parsed(keyword, kind, value, comment);
                    }
                }
                if (parsed.Kind == FitsValueKind.String && ((string)parsed.Value!).EndsWith('&'))
                {
                    open = parsed;
                    openValue.Clear().Append((string)parsed.Value!);
                    openComment.Clear().Append(parsed.Comment);
                }
                else header.Add(parsed);
            }
            catch (CardError e)
            {
                throw new FitsFormatException(file, hdu, offset, keyword.Length > 0 ? keyword : null, e.Message);
            }
        }
        Flush();
        return header;

        void AppendContinued(string value, string? comment)
        {
            openValue.Length--;                 // drop the '&'
            openValue.Append(value);
            if (!string.IsNullOrEmpty(comment))
            {
                if (openComment.Length > 0) openComment.Append(' ');
                openComment.Append(comment);
            }
            if (!value.EndsWith('&')) Flush();
        }

        void Flush()
        {
            if (open is null) return;
            header.Add(FitsCard.Parsed(open.Keyword, FitsValueKind.String, openValue.ToString(),
                                       openComment.Length > 0 ? openComment.ToString() : null));
            open = null;
        }
    }

    /// <summary>Parses a value field (the card from column 11) without throwing: the value and comment, or
    /// the problem in <paramref name="problem"/>. The verifier uses it to report every bad card, not the first.</summary>
    public static bool TryParseValue(string field, out FitsValueKind kind, out object? value, out string? comment, out string? problem)
    {
        try
        {
            (kind, value, comment) = ParseValue(field);
            problem = null;
            return true;
        }
        catch (CardError e)
        {
            (kind, value, comment, problem) = (FitsValueKind.Undefined, null, null, e.Message);
            return false;
        }
    }

    /// <summary>Parses the value field (everything after the value indicator).</summary>
    private static (FitsValueKind Kind, object? Value, string? Comment) ParseValue(string field)
    {
        int i = 0;
        while (i < field.Length && field[i] == ' ') i++;
        if (i < field.Length && field[i] == '\'')
        {
            var sb = new StringBuilder();
            i++;
            while (true)
            {
                if (i >= field.Length) throw new CardError("string value has no closing quote");
                char ch = field[i];
                if (ch == '\'')
                {
                    if (i + 1 < field.Length && field[i + 1] == '\'') { sb.Append('\''); i += 2; continue; }
                    i++;
                    break;
                }
                sb.Append(ch);
                i++;
            }
            string rest = field[i..].TrimStart();
            string? comment = null;
            if (rest.Length > 0)
            {
                if (rest[0] != '/') throw new CardError($"unexpected text after the string value: '{rest.TrimEnd()}'");
                comment = rest[1..].Trim();
            }
            return (FitsValueKind.String, sb.ToString().TrimEnd(' '), comment);
        }

        int slash = field.IndexOf('/', i);
        string token = (slash < 0 ? field[i..] : field[i..slash]).Trim();
        string? com = slash < 0 ? null : field[(slash + 1)..].Trim();
        if (token.Length == 0) return (FitsValueKind.Undefined, null, com);
        if (token == "T") return (FitsValueKind.Logical, true, com);
        if (token == "F") return (FitsValueKind.Logical, false, com);
        if (token[0] == '(')
        {
            if (token[^1] != ')') throw new CardError($"complex value '{token}' has no closing parenthesis");
            string[] parts = token[1..^1].Split(',');
            if (parts.Length != 2) throw new CardError($"complex value '{token}' needs two parts");
            return (FitsValueKind.Complex, new FitsComplex(ParseReal(parts[0].Trim()), ParseReal(parts[1].Trim())), com);
        }
        if (IsInteger(token))
        {
            if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                return (FitsValueKind.Integer, l, com);
            return (FitsValueKind.Integer, BigInteger.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), com);
        }
        return (FitsValueKind.Real, ParseReal(token), com);
    }

    private static bool IsInteger(string s)
    {
        int i = s[0] is '+' or '-' ? 1 : 0;
        if (i == s.Length) return false;
        for (; i < s.Length; i++) if (!char.IsAsciiDigit(s[i])) return false;
        return true;
    }

    /// <summary>A FITS real: [sign] digits [. digits] [E|D [sign] digits], at least one mantissa digit.</summary>
    private static double ParseReal(string s)
    {
        int i = 0, n = s.Length, digits = 0;
        if (i < n && s[i] is '+' or '-') i++;
        while (i < n && char.IsAsciiDigit(s[i])) { i++; digits++; }
        if (i < n && s[i] == '.') { i++; while (i < n && char.IsAsciiDigit(s[i])) { i++; digits++; } }
        if (digits == 0) throw new CardError($"'{s}' is not a FITS value");
        if (i < n && s[i] is 'E' or 'D' or 'e' or 'd')
        {
            i++;
            if (i < n && s[i] is '+' or '-') i++;
            int exp = 0;
            while (i < n && char.IsAsciiDigit(s[i])) { i++; exp++; }
            if (exp == 0) throw new CardError($"'{s}' has an exponent without digits");
        }
        if (i != n) throw new CardError($"'{s}' is not a FITS value");
        string text = s.Replace('D', 'E').Replace('d', 'E');
        double v = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(v)) throw new CardError($"'{s}' overflows a double");
        return v;
    }
}
