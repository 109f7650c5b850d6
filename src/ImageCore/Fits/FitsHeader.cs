using System.Collections;
using System.Globalization;
using System.Numerics;

namespace ImageCore.Fits;

/// <summary>
/// An ordered FITS header: logical cards with typed values and comments. Keyword look-up is
/// case-sensitive on the upper-case keyword (HIERARCH keywords without their prefix). Getters throw
/// <see cref="FitsFormatException"/> naming the source, HDU and keyword when a keyword is missing or
/// of the wrong type.
/// </summary>
public sealed class FitsHeader : IEnumerable<FitsCard>
{
    private readonly List<FitsCard> _cards = [];

    /// <summary>An empty header with no source.</summary>
    public FitsHeader() : this("<memory>", -1) { }

    /// <summary>An empty header that reports errors as coming from <paramref name="source"/>, HDU <paramref name="hduIndex"/>.</summary>
    public FitsHeader(string source, int hduIndex)
    {
        Source = source;
        HduIndex = hduIndex;
    }

    /// <summary>Where the header came from (file name), for error messages.</summary>
    public string Source { get; internal set; }

    /// <summary>The HDU index the header belongs to, or -1.</summary>
    public int HduIndex { get; internal set; }

    /// <summary>Number of logical cards (a CONTINUEd string counts once).</summary>
    public int Count => _cards.Count;

    /// <summary>The card at position <paramref name="index"/>.</summary>
    public FitsCard this[int index] => _cards[index];

    /// <summary>Appends a card (duplicates allowed, as for COMMENT and HISTORY).</summary>
    public void Add(FitsCard card) => _cards.Add(card ?? throw new ArgumentNullException(nameof(card)));

    /// <summary>Appends a commentary card (COMMENT, HISTORY or blank).</summary>
    public void AddCommentary(string keyword, string text) => Add(FitsCard.Commentary(keyword, text));

    /// <summary>Replaces the first card with this keyword, keeping its position (and its comment when
    /// <paramref name="comment"/> is null), or appends a new card.</summary>
    /// <param name="keyword">The keyword.</param>
    /// <param name="value">string, bool, integer, float/double, <see cref="FitsComplex"/> or null (undefined).</param>
    /// <param name="comment">The comment; null keeps an existing one.</param>
    public void Set(string keyword, object? value, string? comment = null)
    {
        int i = IndexOf(keyword);
        if (i < 0) { Add(FitsCard.FromValue(keyword, value, comment)); return; }
        _cards[i] = FitsCard.FromValue(keyword, value, comment ?? _cards[i].Comment);
    }

    /// <summary>Inserts a card at <paramref name="index"/>.</summary>
    public void Insert(int index, FitsCard card) => _cards.Insert(index, card ?? throw new ArgumentNullException(nameof(card)));

    /// <summary>Removes every card with this keyword; returns how many were removed.</summary>
    public int Remove(string keyword) => _cards.RemoveAll(c => c.Keyword == keyword);

    /// <summary>Position of the first card with this keyword, or -1.</summary>
    public int IndexOf(string keyword)
    {
        for (int i = 0; i < _cards.Count; i++)
            if (_cards[i].Keyword == keyword && _cards[i].Kind != FitsValueKind.Commentary) return i;
        return -1;
    }

    /// <summary>True if a valued (non-commentary) card has this keyword.</summary>
    public bool Contains(string keyword) => IndexOf(keyword) >= 0;

    /// <summary>The first card with this keyword, or null.</summary>
    public FitsCard? Find(string keyword)
    {
        int i = IndexOf(keyword);
        return i < 0 ? null : _cards[i];
    }

    /// <summary>The texts of every commentary card with this keyword (COMMENT, HISTORY, or "" for blank).</summary>
    public IEnumerable<string> Commentary(string keyword) =>
        _cards.Where(c => c.Kind == FitsValueKind.Commentary && c.Keyword == keyword).Select(c => (string)c.Value!);

    /// <summary>The string value of <paramref name="keyword"/>.</summary>
    /// <exception cref="FitsFormatException">Missing, or not a string.</exception>
    public string GetString(string keyword) => Require(keyword, FitsValueKind.String).Value as string ?? "";

    /// <summary>The logical value of <paramref name="keyword"/>.</summary>
    /// <exception cref="FitsFormatException">Missing, or not T/F.</exception>
    public bool GetBoolean(string keyword) => (bool)Require(keyword, FitsValueKind.Logical).Value!;

    /// <summary>The integer value of <paramref name="keyword"/> as a 64-bit integer.</summary>
    /// <exception cref="FitsFormatException">Missing, not an integer, or out of range.</exception>
    public long GetInt64(string keyword)
    {
        var card = Require(keyword, FitsValueKind.Integer);
        if (card.Value is long l) return l;
        throw Error(keyword, $"integer {card.Value} does not fit a 64-bit integer");
    }

    /// <summary>The integer value of <paramref name="keyword"/> as a 32-bit integer.</summary>
    /// <exception cref="FitsFormatException">Missing, not an integer, or out of range.</exception>
    public int GetInt32(string keyword)
    {
        long v = GetInt64(keyword);
        if (v is < int.MinValue or > int.MaxValue) throw Error(keyword, $"integer {v} does not fit a 32-bit integer");
        return (int)v;
    }

    /// <summary>The numeric value of <paramref name="keyword"/> (integer or real) as a double.</summary>
    /// <exception cref="FitsFormatException">Missing, or not a number.</exception>
    public double GetDouble(string keyword)
    {
        var card = Find(keyword) ?? throw Error(keyword, "keyword is missing");
        return card.Value switch
        {
            double d when card.Kind == FitsValueKind.Real => d,
            long l => l,
            BigInteger b => (double)b,
            _ => throw Error(keyword, $"expected a number, found {Describe(card)}"),
        };
    }

    /// <summary>The complex value of <paramref name="keyword"/>.</summary>
    /// <exception cref="FitsFormatException">Missing, or not complex.</exception>
    public FitsComplex GetComplex(string keyword) => (FitsComplex)Require(keyword, FitsValueKind.Complex).Value!;

    /// <summary>The string value, or <paramref name="fallback"/> when the keyword is absent.</summary>
    /// <exception cref="FitsFormatException">Present but not a string.</exception>
    public string? GetString(string keyword, string? fallback) => Contains(keyword) ? GetString(keyword) : fallback;

    /// <summary>The integer value, or <paramref name="fallback"/> when the keyword is absent.</summary>
    /// <exception cref="FitsFormatException">Present but not an integer in range.</exception>
    public long GetInt64(string keyword, long fallback) => Contains(keyword) ? GetInt64(keyword) : fallback;

    /// <summary>The numeric value, or <paramref name="fallback"/> when the keyword is absent.</summary>
    /// <exception cref="FitsFormatException">Present but not a number.</exception>
    public double GetDouble(string keyword, double fallback) => Contains(keyword) ? GetDouble(keyword) : fallback;

    /// <summary>The logical value, or <paramref name="fallback"/> when the keyword is absent.</summary>
    /// <exception cref="FitsFormatException">Present but not logical.</exception>
    public bool GetBoolean(string keyword, bool fallback) => Contains(keyword) ? GetBoolean(keyword) : fallback;

    /// <summary>A deep copy (cards are immutable, so the list is copied).</summary>
    public FitsHeader Clone()
    {
        var h = new FitsHeader(Source, HduIndex);
        h._cards.AddRange(_cards);
        return h;
    }

    /// <inheritdoc/>
    public IEnumerator<FitsCard> GetEnumerator() => _cards.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal FitsFormatException Error(string keyword, string problem) => new(Source, HduIndex, -1, keyword, problem);

    private FitsCard Require(string keyword, FitsValueKind kind)
    {
        var card = Find(keyword) ?? throw Error(keyword, "keyword is missing");
        if (card.Kind != kind) throw Error(keyword, $"expected a {kind.ToString().ToLowerInvariant()} value, found {Describe(card)}");
        return card;
    }

    private static string Describe(FitsCard card) => card.Kind switch
    {
        FitsValueKind.Undefined => "no value",
        FitsValueKind.String => $"the string '{card.Value}'",
        _ => $"the {card.Kind.ToString().ToLowerInvariant()} {Convert.ToString(card.Value, CultureInfo.InvariantCulture)}",
    };
}
