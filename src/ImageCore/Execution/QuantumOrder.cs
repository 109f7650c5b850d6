using System.Globalization;

namespace ImageCore.Execution;

/// <summary>How quanta are ordered before the workers take them, first to last.</summary>
public enum QuantumOrderKind
{
    /// <summary>Visit-major: every detector of the first visit, then the next visit.</summary>
    Visit,

    /// <summary>Detector-clustered: every visit of one detector (or, for warps, of one patch) together.</summary>
    Detector,

    /// <summary>The visits split into groups of consecutive visits, detector-clustered inside each group (OR5's 53 groups of ~15 visits).</summary>
    Groups,
}

/// <summary>
/// The order quanta run in (<c>--order visit|detector|groups:G</c>). ISR quanta are (visit, detector) and cluster by
/// detector, so that one detector's calibrations are wanted again while they are still cached; warp quanta are
/// (patch, visit) and cluster by patch. <c>groups:G</c> splits the sorted distinct visits into G groups of consecutive
/// visits whose sizes differ by at most one (fewer when there are fewer visits) and clusters inside each group, which
/// keeps calibration re-use while still giving many independent clusters to many workers.
/// </summary>
/// <param name="Kind">The ordering.</param>
/// <param name="Groups">Number of visit groups (only for <see cref="QuantumOrderKind.Groups"/>; 1 otherwise).</param>
public sealed record QuantumOrder(QuantumOrderKind Kind, int Groups = 1)
{
    /// <summary>Visit-major order (the default).</summary>
    public static QuantumOrder VisitMajor { get; } = new(QuantumOrderKind.Visit);

    /// <summary>Parses <c>visit</c>, <c>detector</c> or <c>groups:G</c> (G a positive integer).</summary>
    /// <exception cref="ArgumentException">Any other text; the message names it and the accepted forms.</exception>
    public static QuantumOrder Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "visit") return VisitMajor;
        if (t == "detector") return new(QuantumOrderKind.Detector);
        if (t.StartsWith("groups:", StringComparison.Ordinal)
            && int.TryParse(t["groups:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int g) && g >= 1)
            return new(QuantumOrderKind.Groups, g);
        throw new ArgumentException($"order '{text}' is not one of: visit, detector, groups:G (G >= 1)");
    }

    /// <summary>The form <see cref="Parse"/> reads.</summary>
    public override string ToString() => Kind switch
    {
        QuantumOrderKind.Visit => "visit",
        QuantumOrderKind.Detector => "detector",
        _ => string.Create(CultureInfo.InvariantCulture, $"groups:{Groups}"),
    };

    /// <summary>Orders <paramref name="quanta"/>: by (visit, cluster) for visit-major, by (cluster, visit) for detector
    /// order, by (visit group, cluster, visit) for groups. Ties keep their input order.</summary>
    /// <param name="quanta">The quanta.</param>
    /// <param name="visit">A quantum's visit.</param>
    /// <param name="cluster">What a quantum clusters on: its detector (ISR) or its patch (warps); compared by <see cref="Comparer{T}.Default"/>.</param>
    public IReadOnlyList<T> Apply<T, TCluster>(IEnumerable<T> quanta, Func<T, int> visit, Func<T, TCluster> cluster)
    {
        ArgumentNullException.ThrowIfNull(quanta);
        var list = quanta.ToList();
        switch (Kind)
        {
            case QuantumOrderKind.Visit:
                return list.OrderBy(visit).ThenBy(cluster).ToList();
            case QuantumOrderKind.Detector:
                return list.OrderBy(cluster).ThenBy(visit).ToList();
            default:
                var group = VisitGroups(list.Select(visit));
                return list.OrderBy(q => group[visit(q)]).ThenBy(cluster).ThenBy(visit).ToList();
        }
    }

    /// <summary>The group (0-based) of each distinct visit: the sorted visits cut into <see cref="Groups"/> runs of
    /// consecutive visits, the first <c>V mod G</c> runs one visit longer.</summary>
    public IReadOnlyDictionary<int, int> VisitGroups(IEnumerable<int> visits)
    {
        var sorted = visits.Distinct().Order().ToList();
        int groups = Math.Max(1, Math.Min(Kind == QuantumOrderKind.Groups ? Groups : 1, sorted.Count));
        var result = new Dictionary<int, int>();
        int baseSize = sorted.Count / groups, extra = sorted.Count % groups, index = 0;
        for (int g = 0; g < groups; g++)
            for (int k = 0; k < baseSize + (g < extra ? 1 : 0); k++) result[sorted[index++]] = g;
        return result;
    }
}
