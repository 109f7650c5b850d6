namespace ImageCore.Execution;

/// <summary>
/// How <see cref="QuantumClusterer"/> groups a graph's quanta into clusters, the units a batch system runs (one job of a
/// job array each). The graph's distinct visits, sorted, are cut into <c>G = max(1, floor(V / VisitsPerGroup))</c> runs
/// of consecutive visits whose sizes differ by at most one (the first <c>V mod G</c> one longer, as
/// <see cref="QuantumOrder.VisitGroups"/>), so every group has at least <see cref="VisitsPerGroup"/> visits when there are
/// that many: OR5's 800 visits in groups of 15 give 53 groups (48 of 15 visits, 5 of 16).
/// </summary>
public sealed record ClusterConfig
{
    /// <summary>The smallest number of visits in a group (the last visits join the groups before them rather than form a
    /// smaller group); at least 1.</summary>
    public int VisitsPerGroup { get; init; } = 15;

    /// <summary>What ISR quanta are clustered by inside a visit group.</summary>
    public IsrClusterKey IsrKey { get; init; } = IsrClusterKey.Detector;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ConfigException">A group of fewer than one visit, or an unknown key.</exception>
    public void Validate()
    {
        if (VisitsPerGroup < 1) throw new ConfigException("ClusterConfig.VisitsPerGroup", VisitsPerGroup, "must be >= 1");
        if (!Enum.IsDefined(IsrKey)) throw new ConfigException("ClusterConfig.IsrKey", IsrKey, "is not a cluster key");
    }

    /// <summary>The number of visit groups for <paramref name="visits"/> distinct visits: <c>max(1, floor(visits / VisitsPerGroup))</c>.</summary>
    public int GroupCount(int visits) => Math.Max(1, visits / VisitsPerGroup);
}
