namespace ImageCore.Fits;

/// <summary>
/// A FITS file, header or card does not follow the FITS 4.0 standard, or a header lacks a keyword
/// that was asked for. The message names the file, the HDU index and the byte offset or keyword.
/// </summary>
public class FitsFormatException : Exception
{
    /// <summary>Creates the exception with its context.</summary>
    /// <param name="file">The file (or stream) name.</param>
    /// <param name="hduIndex">Zero-based HDU index, or -1 when not known.</param>
    /// <param name="offset">Byte offset of the problem in the file, or -1 when not known.</param>
    /// <param name="keyword">The keyword involved, or null.</param>
    /// <param name="problem">What is wrong.</param>
    public FitsFormatException(string file, int hduIndex, long offset, string? keyword, string problem)
        : base(Compose(file, hduIndex, offset, keyword, problem))
    {
        File = file;
        HduIndex = hduIndex;
        Offset = offset;
        Keyword = keyword;
        Problem = problem;
    }

    /// <summary>The file (or stream) name.</summary>
    public string File { get; }

    /// <summary>Zero-based HDU index, or -1.</summary>
    public int HduIndex { get; }

    /// <summary>Byte offset in the file, or -1.</summary>
    public long Offset { get; }

    /// <summary>The keyword involved, or null.</summary>
    public string? Keyword { get; }

    /// <summary>What is wrong, without the context.</summary>
    public string Problem { get; }

    private static string Compose(string file, int hdu, long offset, string? keyword, string problem)
    {
        var where = new List<string> { file };
        if (hdu >= 0) where.Add($"HDU {hdu}");
        if (keyword is not null) where.Add($"keyword {keyword}");
        if (offset >= 0) where.Add($"byte {offset}");
        return $"{string.Join(", ", where)}: {problem}";
    }
}
