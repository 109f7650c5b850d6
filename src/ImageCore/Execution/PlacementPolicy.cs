using System.Globalization;

namespace ImageCore.Execution;

/// <summary>How workers are placed on CPUs.</summary>
public enum PlacementKind
{
    /// <summary>Unpinned: the OS decides (and moves workers as it likes).</summary>
    None,

    /// <summary>Fill the physical cores of L3 domain 0 in order (first SMT thread of each core, then the siblings),
    /// then domain 1, ...: what PanDA's pinning did, packing memory-heavy jobs into one L3.</summary>
    Compact,

    /// <summary>One worker to each L3 domain in turn (domains interleaved across NUMA nodes), on a free physical core
    /// of that domain; SMT siblings only after every allowed physical core is used.</summary>
    Spread,

    /// <summary>As <see cref="Spread"/> with at most <see cref="PlacementPolicy.MaxPerL3"/> workers per L3 domain.</summary>
    L3,
}

/// <summary>A placement policy: <c>none</c>, <c>compact</c>, <c>spread</c> or <c>l3:K</c> (at most K memory-heavy workers per L3 domain).</summary>
/// <param name="Kind">The policy.</param>
/// <param name="MaxPerL3">K for <see cref="PlacementKind.L3"/> (≥ 1); 0 for the others.</param>
public sealed record PlacementPolicy(PlacementKind Kind, int MaxPerL3 = 0)
{
    /// <summary>Unpinned.</summary>
    public static PlacementPolicy None { get; } = new(PlacementKind.None);

    /// <summary>Fill one L3 domain after another.</summary>
    public static PlacementPolicy Compact { get; } = new(PlacementKind.Compact);

    /// <summary>Round-robin over L3 domains.</summary>
    public static PlacementPolicy Spread { get; } = new(PlacementKind.Spread);

    /// <summary>Round-robin over L3 domains, at most <paramref name="k"/> workers in each.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static PlacementPolicy L3(int k) => k >= 1 ? new(PlacementKind.L3, k)
        : throw new ArgumentOutOfRangeException(nameof(k), k, "l3:K needs K >= 1 workers per L3 domain");

    /// <summary>Parses "none", "compact", "spread" or "l3:K" (K a positive integer; case-insensitive, surrounding blanks ignored).</summary>
    /// <exception cref="ArgumentException">Anything else; the message names the text.</exception>
    public static PlacementPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        switch (t)
        {
            case "none": return None;
            case "compact": return Compact;
            case "spread": return Spread;
        }
        if (t.StartsWith("l3:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1)
            return L3(k);
        throw new ArgumentException($"placement policy \"{text}\" is not one of none, compact, spread, l3:K (K a positive integer, e.g. l3:2)", nameof(text));
    }

    /// <summary>The text form <see cref="Parse"/> reads.</summary>
    public override string ToString() => Kind switch
    {
        PlacementKind.None => "none",
        PlacementKind.Compact => "compact",
        PlacementKind.Spread => "spread",
        _ => $"l3:{MaxPerL3.ToString(CultureInfo.InvariantCulture)}",
    };
}
