using System.Globalization;
using System.Numerics;
using System.Text;

namespace ImageCore.Fits;

/// <summary>Formats <see cref="FitsCard"/>s as 80-character card images (fixed format, FITS 4.0 4.2).</summary>
internal static class FitsCardFormat
{
    public const int CardLength = 80;

    /// <summary>The card images of one logical card: one, or several for a CONTINUEd long string.</summary>
    public static List<string> Format(FitsCard card)
    {
        var result = new List<string>(1);
        if (card.Kind == FitsValueKind.Commentary)
        {
            result.Add(Pad(card.Keyword.PadRight(8) + (string)card.Value!));
            return result;
        }
        string prefix = card.IsHierarch ? $"HIERARCH {card.Keyword} = " : card.Keyword.PadRight(8) + "= ";
        if (card.Kind == FitsValueKind.String)
        {
            FormatString(card, prefix, result);
            return result;
        }
        string value = FormatValue(card);
        string text = card.IsHierarch ? prefix + value : prefix + value.PadLeft(20);
        result.Add(WithComment(card, text));
        return result;
    }

    /// <summary>The value field text of a non-string card (not padded).</summary>
    public static string FormatValue(FitsCard card) => card.Kind switch
    {
        FitsValueKind.Logical => (bool)card.Value! ? "T" : "F",
        FitsValueKind.Integer => card.Value is BigInteger b ? b.ToString(CultureInfo.InvariantCulture)
                                                            : ((long)card.Value!).ToString(CultureInfo.InvariantCulture),
        FitsValueKind.Real => FormatReal((double)card.Value!),
        FitsValueKind.Complex => $"({FormatReal(((FitsComplex)card.Value!).Real)}, {FormatReal(((FitsComplex)card.Value!).Imaginary)})",
        FitsValueKind.Undefined => "",
        _ => throw new InvalidOperationException(card.Kind.ToString()),
    };

    /// <summary>Shortest round-trip text of a finite double that FITS reads as a real: always a
    /// decimal point, an upper-case E exponent with sign and at least two digits.</summary>
    public static string FormatReal(double v)
    {
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        string mantissa = e < 0 ? s : s[..e];
        if (!mantissa.Contains('.')) mantissa += ".0";
        if (e < 0) return mantissa;
        string exp = s[(e + 1)..];
        char sign = exp[0] == '-' ? '-' : '+';
        string digits = exp.TrimStart('+', '-').PadLeft(2, '0');
        return mantissa + "E" + sign + digits;
    }

    private static void FormatString(FitsCard card, string prefix, List<string> result)
    {
        string value = (string)card.Value!;
        string escaped = value.Replace("'", "''");
        int room = CardLength - prefix.Length - 2;   // characters between the quotes on the first card
        if (room < 1) throw new ArgumentException($"HIERARCH keyword '{card.Keyword}' leaves no room for a value");
        if (escaped.Length <= room)
        {
            // Fixed format as astropy and cfitsio write it: at least 8 characters between the quotes,
            // the value field padded to column 30 before a comment. (astropy re-renders the CHECKSUM
            // card this way when it verifies, so the layout must match for its check to pass.)
            string quoted = ("'" + escaped.PadRight(8) + "'").PadRight(20);
            if (prefix.Length + quoted.Length > CardLength) quoted = "'" + escaped + "'";
            result.Add(WithComment(card, prefix + quoted));
            return;
        }
        // Long string convention: chunks ending in '&', never splitting a doubled quote.
        int pos = 0;
        string lead = prefix;
        while (true)
        {
            int cap = CardLength - lead.Length - 2;
            if (escaped.Length - pos <= cap)
            {
                result.Add(WithComment(card, lead + "'" + escaped[pos..] + "'"));
                return;
            }
            int take = cap - 1;                              // room for '&'
            if (QuoteRunIsOdd(escaped, pos, pos + take)) take--;
            result.Add(Pad(lead + "'" + escaped.Substring(pos, take) + "&'"));
            pos += take;
            lead = "CONTINUE  ";
        }
    }

    private static bool QuoteRunIsOdd(string s, int start, int end)
    {
        int n = 0;
        for (int i = end - 1; i >= start && s[i] == '\''; i--) n++;
        return (n & 1) == 1;
    }

    private static string WithComment(FitsCard card, string text)
    {
        if (text.Length > CardLength)
            throw new ArgumentException($"card for keyword '{card.Keyword}' is {text.Length} characters; at most 80 fit");
        if (!string.IsNullOrEmpty(card.Comment))
        {
            string c = " / " + card.Comment;
            text += c.Length + text.Length <= CardLength ? c : c[..(CardLength - text.Length)];
        }
        return Pad(text);
    }

    private static string Pad(string text) => text.Length > CardLength ? text[..CardLength] : text.PadRight(CardLength);

    /// <summary>Appends the header's cards, END and blank padding to a whole number of 2880-byte blocks.</summary>
    public static byte[] Encode(IEnumerable<string> cards)
    {
        var sb = new StringBuilder();
        foreach (string c in cards) sb.Append(c);
        sb.Append("END".PadRight(CardLength));
        int blocks = (sb.Length + FitsConstants.BlockSize - 1) / FitsConstants.BlockSize;
        sb.Append(' ', blocks * FitsConstants.BlockSize - sb.Length);
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
