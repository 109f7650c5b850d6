using System.Globalization;

namespace ImageCore.Execution;

/// <summary>How the calibration cache decides what to keep (see <see cref="CachePolicy"/>).</summary>
public enum CacheMode
{
    /// <summary><c>none</c>: nothing is kept; every request reads the store.</summary>
    None,
    /// <summary><c>datasets:N</c>: at most N datasets, the oldest inserted evicted first; a hit does not refresh
    /// an entry (the Butler's datasets-limited cache).</summary>
    Datasets,
    /// <summary><c>lru-datasets:N</c>: at most N datasets, the least recently used evicted first.</summary>
    LruDatasets,
    /// <summary><c>bytes:SIZE</c>: at most SIZE bytes of datasets (as stored), the oldest inserted evicted first;
    /// a dataset larger than SIZE is handed out but not kept (the Butler's size-limited cache).</summary>
    Bytes,
    /// <summary><c>unbounded</c>: everything is kept; nothing is evicted.</summary>
    Unbounded,
}

/// <summary>
/// The calibration cache's policy: a <see cref="Mode"/> and, for the bounded modes, a <see cref="Limit"/>.
/// Written as text (the <c>--cache</c> option) in one of the forms <c>none</c>, <c>datasets:N</c>,
/// <c>lru-datasets:N</c>, <c>bytes:SIZE</c>, <c>unbounded</c> (<see cref="Parse"/>).
/// </summary>
public sealed record CachePolicy
{
    /// <summary>The accepted forms, as error messages quote them.</summary>
    public const string AcceptedForms = "none, datasets:N, lru-datasets:N, bytes:SIZE (e.g. bytes:500MB, bytes:1TB, bytes:2.5GiB, bytes:1024) or unbounded";

    /// <summary>What is kept and what goes first.</summary>
    public CacheMode Mode { get; init; } = CacheMode.None;

    /// <summary>Datasets held at most (<see cref="CacheMode.Datasets"/>, <see cref="CacheMode.LruDatasets"/>) or bytes held at most
    /// (<see cref="CacheMode.Bytes"/>; bytes of the datasets as stored); ignored by the other modes.</summary>
    public long Limit { get; init; }

    /// <summary>Checks that a bounded mode has a positive limit and the mode is known.</summary>
    /// <exception cref="ArgumentException">Naming the mode and the limit.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentException($"cache policy: unknown mode {(int)Mode}; accepted: {AcceptedForms}", nameof(Mode));
        if (Mode is CacheMode.Datasets or CacheMode.LruDatasets or CacheMode.Bytes && Limit < 1)
            throw new ArgumentException($"cache policy {Mode}: the limit {Limit} must be >= 1 (use none to keep nothing)", nameof(Limit));
    }

    /// <summary>The policy's text form, which <see cref="Parse"/> reads back: <c>datasets:500</c>, <c>bytes:1000000000000</c>.</summary>
    public override string ToString() => Mode switch
    {
        CacheMode.None => "none",
        CacheMode.Datasets => $"datasets:{Limit.ToString(CultureInfo.InvariantCulture)}",
        CacheMode.LruDatasets => $"lru-datasets:{Limit.ToString(CultureInfo.InvariantCulture)}",
        CacheMode.Bytes => $"bytes:{Limit.ToString(CultureInfo.InvariantCulture)}",
        CacheMode.Unbounded => "unbounded",
        _ => $"mode {(int)Mode}",
    };

    /// <summary>
    /// Reads a policy: <c>none</c>, <c>datasets:N</c>, <c>lru-datasets:N</c>, <c>bytes:SIZE</c> or <c>unbounded</c>
    /// (mode names in any case, surrounding white space ignored), N a positive integer and SIZE as <see cref="ParseSize"/> reads it.
    /// </summary>
    /// <exception cref="ArgumentException">The text is none of these; the message quotes it and lists the accepted forms.</exception>
    public static CachePolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        int colon = t.IndexOf(':');
        string mode = (colon < 0 ? t : t[..colon]).Trim().ToLowerInvariant();
        string? argument = colon < 0 ? null : t[(colon + 1)..].Trim();
        switch (mode, argument)
        {
            case ("none", null): return new CachePolicy { Mode = CacheMode.None };
            case ("unbounded", null): return new CachePolicy { Mode = CacheMode.Unbounded };
            case ("datasets" or "lru-datasets", not null):
                if (!long.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < 1)
                    throw Invalid(text, $"'{argument}' is not a positive whole number of datasets");
                return new CachePolicy { Mode = mode == "datasets" ? CacheMode.Datasets : CacheMode.LruDatasets, Limit = n };
            case ("bytes", not null):
                long size;
                try { size = ParseSize(argument); }
                catch (ArgumentException e) { throw Invalid(text, e.Message); }
                if (size < 1) throw Invalid(text, "the size must be at least 1 byte (use none to keep nothing)");
                return new CachePolicy { Mode = CacheMode.Bytes, Limit = size };
            default:
                throw Invalid(text, null);
        }
    }

    /// <summary>
    /// Reads a size in bytes: a non-negative number (a decimal point allowed) and an optional unit, case-insensitive,
    /// white space between them allowed. Units: <c>B</c>; decimal SI <c>kB</c> (10^3), <c>MB</c> (10^6), <c>GB</c> (10^9),
    /// <c>TB</c> (10^12); binary <c>KiB</c> (2^10), <c>MiB</c> (2^20), <c>GiB</c> (2^30), <c>TiB</c> (2^40). No unit means bytes.
    /// So <c>500MB</c> is 500,000,000, <c>1TB</c> 10^12, <c>2.5GB</c> 2,500,000,000, <c>1024</c> 1024 bytes.
    /// </summary>
    /// <exception cref="ArgumentException">Not a number, an unknown unit, not a whole number of bytes, or over 2^63 - 1 bytes.</exception>
    public static long ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        int end = 0;
        while (end < t.Length && (char.IsAsciiDigit(t[end]) || t[end] == '.')) end++;
        string number = t[..end], unit = t[end..].Trim();
        long multiplier = unit.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            "kib" => 1L << 10,
            "mib" => 1L << 20,
            "gib" => 1L << 30,
            "tib" => 1L << 40,
            _ => throw new ArgumentException($"size '{text}': unknown unit '{unit}' (B, kB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB powers of 1024)", nameof(text)),
        };
        if (number.Length == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
            throw new ArgumentException($"size '{text}': '{number}' is not a number", nameof(text));
        decimal bytes;
        try { bytes = value * multiplier; }
        catch (OverflowException) { throw new ArgumentException($"size '{text}' is over {long.MaxValue} bytes", nameof(text)); }
        if (bytes > long.MaxValue) throw new ArgumentException($"size '{text}' is over {long.MaxValue} bytes", nameof(text));
        if (bytes != decimal.Truncate(bytes)) throw new ArgumentException($"size '{text}' is {bytes} bytes, not a whole number", nameof(text));
        return (long)bytes;
    }

    private static ArgumentException Invalid(string text, string? why) =>
        new($"cache policy '{text}'{(why is null ? "" : ": " + why)}; accepted: {AcceptedForms}", nameof(text));
}
