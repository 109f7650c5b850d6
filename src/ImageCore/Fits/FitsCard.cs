using System.Globalization;
using System.Numerics;

namespace ImageCore.Fits;

/// <summary>
/// One logical header entry: a keyword, a typed value and a comment. A long string continued over
/// CONTINUE cards and a HIERARCH keyword are each one <see cref="FitsCard"/>.
/// </summary>
public sealed class FitsCard
{
    private FitsCard(string keyword, FitsValueKind kind, object? value, string? comment)
    {
        Keyword = keyword;
        Kind = kind;
        Value = value;
        Comment = comment;
    }

    /// <summary>The keyword: upper case, up to 8 characters, or a HIERARCH keyword (without the
    /// <c>HIERARCH</c> prefix, words separated by single spaces). Empty for blank commentary cards.</summary>
    public string Keyword { get; }

    /// <summary>What kind of value the card holds.</summary>
    public FitsValueKind Kind { get; }

    /// <summary>The value: string, bool, long or BigInteger, double, <see cref="FitsComplex"/>, null
    /// (undefined), or the text of a commentary card.</summary>
    public object? Value { get; }

    /// <summary>The comment after <c>/</c>, or null.</summary>
    public string? Comment { get; }

    /// <summary>True for a keyword longer than 8 characters or with characters outside
    /// <c>A-Z 0-9 - _</c>: written with the HIERARCH convention.</summary>
    public bool IsHierarch => Kind != FitsValueKind.Commentary && !IsStandardKeyword(Keyword);

    /// <summary>A string card.</summary>
    public static FitsCard String(string keyword, string value, string? comment = null) =>
        new(CheckKeyword(keyword), FitsValueKind.String, value ?? throw new ArgumentNullException(nameof(value)), comment);

    /// <summary>A logical card.</summary>
    public static FitsCard Logical(string keyword, bool value, string? comment = null) =>
        new(CheckKeyword(keyword), FitsValueKind.Logical, value, comment);

    /// <summary>An integer card.</summary>
    public static FitsCard Integer(string keyword, long value, string? comment = null) =>
        new(CheckKeyword(keyword), FitsValueKind.Integer, value, comment);

    /// <summary>An integer card for values outside the range of <see cref="long"/>.</summary>
    public static FitsCard Integer(string keyword, BigInteger value, string? comment = null) =>
        new(CheckKeyword(keyword), FitsValueKind.Integer,
            value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value, comment);

    /// <summary>A real card. FITS cannot represent NaN or infinity as a header value.</summary>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    public static FitsCard Real(string keyword, double value, string? comment = null)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{keyword}: FITS header values must be finite, not {value}", nameof(value));
        return new(CheckKeyword(keyword), FitsValueKind.Real, value, comment);
    }

    /// <summary>A complex card.</summary>
    public static FitsCard ComplexValue(string keyword, FitsComplex value, string? comment = null)
    {
        if (!double.IsFinite(value.Real) || !double.IsFinite(value.Imaginary))
            throw new ArgumentException($"{keyword}: FITS header values must be finite", nameof(value));
        return new(CheckKeyword(keyword), FitsValueKind.Complex, value, comment);
    }

    /// <summary>A card with the value indicator and no value.</summary>
    public static FitsCard Undefined(string keyword, string? comment = null) =>
        new(CheckKeyword(keyword), FitsValueKind.Undefined, null, comment);

    /// <summary>A commentary card: COMMENT, HISTORY, blank, or another keyword without a value.</summary>
    /// <exception cref="ArgumentException">The keyword is not a standard 8-character keyword or the text
    /// does not fit one card (72 characters) or is not printable ASCII.</exception>
    public static FitsCard Commentary(string keyword, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (keyword.Length > 0 && !IsStandardKeyword(keyword))
            throw new ArgumentException($"commentary keyword '{keyword}' must be 1-8 characters of A-Z 0-9 - _", nameof(keyword));
        if (text.Length > 72) throw new ArgumentException($"{keyword} text is {text.Length} characters; at most 72 fit a card", nameof(text));
        CheckPrintable(keyword, text);
        return new(keyword, FitsValueKind.Commentary, text, null);
    }

    /// <summary>Creates a card from a CLR value: string, bool, integer types, float/double,
    /// <see cref="FitsComplex"/>, or null for undefined.</summary>
    /// <exception cref="ArgumentException">An unsupported value type.</exception>
    public static FitsCard FromValue(string keyword, object? value, string? comment = null) => value switch
    {
        null => Undefined(keyword, comment),
        string s => String(keyword, s, comment),
        bool b => Logical(keyword, b, comment),
        byte or sbyte or short or ushort or int or uint or long => Integer(keyword, Convert.ToInt64(value, CultureInfo.InvariantCulture), comment),
        ulong u => Integer(keyword, new BigInteger(u), comment),
        BigInteger bi => Integer(keyword, bi, comment),
        float f => Real(keyword, f, comment),
        double d => Real(keyword, d, comment),
        FitsComplex c => ComplexValue(keyword, c, comment),
        _ => throw new ArgumentException($"{keyword}: cannot store a {value.GetType().Name} in a FITS header", nameof(value)),
    };

    /// <summary>A copy of this card with another comment.</summary>
    public FitsCard WithComment(string? comment) => new(Keyword, Kind, Value, comment);

    /// <inheritdoc/>
    public override string ToString() => string.Concat(FitsCardFormat.Format(this));

    /// <summary>True for keywords of 1-8 characters from A-Z, 0-9, hyphen and underscore.</summary>
    public static bool IsStandardKeyword(string keyword)
    {
        if (keyword.Length is 0 or > 8) return false;
        foreach (char c in keyword)
            if (!(c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_')) return false;
        return true;
    }

    internal static FitsCard Parsed(string keyword, FitsValueKind kind, object? value, string? comment) =>
        new(keyword, kind, value, comment);

    private static string CheckKeyword(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        string k = keyword.Trim();
        if (k.Length == 0) throw new ArgumentException("a valued card needs a keyword", nameof(keyword));
        if (IsStandardKeyword(k)) return k;
        // HIERARCH keyword: printable ASCII words, no '=' (it would end the keyword).
        CheckPrintable(k, k);
        if (k.Contains('=')) throw new ArgumentException($"keyword '{k}' contains '='", nameof(keyword));
        if (k.StartsWith("HIERARCH ", StringComparison.Ordinal)) k = k[9..].Trim();
        return string.Join(' ', k.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    internal static void CheckPrintable(string keyword, string text)
    {
        foreach (char c in text)
            if (c is < ' ' or > '~')
                throw new ArgumentException($"{keyword}: FITS headers hold printable ASCII only (found U+{(int)c:X4})");
    }
}
