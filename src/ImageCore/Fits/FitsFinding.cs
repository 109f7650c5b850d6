namespace ImageCore.Fits;

/// <summary>How serious a verification finding is, in fitsverify's two grades.</summary>
public enum FitsFindingSeverity
{
    /// <summary>Legal but doubtful (a stale checksum, a duplicated ordinary keyword, a null value): the file still conforms.</summary>
    Warning,
    /// <summary>The file does not conform to the FITS 4.0 standard.</summary>
    Error,
}

/// <summary>One problem found by <see cref="FitsVerifier"/>.</summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Hdu">Zero-based HDU index (0 is the primary HDU), or -1 for the file as a whole.</param>
/// <param name="Card">One-based card number within the HDU's header, or null when the finding is not about a card.</param>
/// <param name="Keyword">The keyword involved, or null.</param>
/// <param name="Offset">Byte offset in the file where the problem lies (the card's first byte for card findings).</param>
/// <param name="Message">What is wrong, in the standard's words.</param>
public sealed record FitsFinding(FitsFindingSeverity Severity, int Hdu, int? Card, string? Keyword, long Offset, string Message)
{
    /// <summary>One line: severity, HDU, card and keyword, byte offset and message.</summary>
    public override string ToString()
    {
        var where = new List<string>();
        if (Hdu >= 0) where.Add($"HDU {Hdu}");
        if (Card is int c) where.Add($"card {c}");
        if (Keyword is not null) where.Add(Keyword);
        where.Add($"byte {Offset}");
        return $"{(Severity == FitsFindingSeverity.Error ? "error" : "warning")}: {string.Join(", ", where)}: {Message}";
    }
}
