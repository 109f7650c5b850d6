namespace ImageCore.Execution;

/// <summary>
/// Groups a <see cref="QuantumGraph"/>'s quanta into <see cref="QuantumCluster"/>s as OR5 ran a night: the visits are cut
/// into groups (<see cref="ClusterConfig"/>), and
/// <list type="bullet">
/// <item>a quantum with a visit and a detector (ISR) joins the cluster of (visit group, detector), or of (visit group,
/// visit) with <see cref="IsrClusterKey.Visit"/>: by detector, a detector's calibrations are read once per group, and
/// the groups give 53 x 189 clusters for a night instead of the 189 of detector clustering alone;</item>
/// <item>a quantum with a tract, a patch and a visit (a direct warp) joins the cluster of (tract, visit): the short warps
/// of one visit run as one job;</item>
/// <item>a quantum with a tract and a patch but no visit (a coadd) is the cluster of its patch.</item>
/// </list>
/// Any other quantum is a cluster of its own. A step's clusters are ordered by their key (group, then detector or visit;
/// tract, then visit or patch) and indexed from 0; a cluster's quanta keep the graph's order; its dependencies are the
/// clusters of the quanta its quanta depend on. Linear in the graph's quanta and dependencies.
/// </summary>
public static class QuantumClusterer
{
    /// <summary>The clusters of <paramref name="graph"/> under <paramref name="config"/>.</summary>
    /// <exception cref="ConfigException">A bad configuration.</exception>
    public static ClusterPlan Cluster(QuantumGraph graph, ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var visits = graph.Quanta.Where(q => q.DataId.Visit is not null).Select(q => q.DataId.Visit!.Value).Distinct().Order().ToList();
        int groupCount = config.GroupCount(visits.Count);
        var groupOf = new QuantumOrder(QuantumOrderKind.Groups, groupCount).VisitGroups(visits);
        var groups = visits.GroupBy(v => groupOf[v]).OrderBy(g => g.Key)
            .Select(g => new VisitGroup(g.Key, g.Min(), g.Max(), g.Count())).ToList();

        var clusterOf = new int[graph.Quanta.Count];   // by the quantum's place in the graph: its cluster's place in clusters
        var clusters = new List<QuantumCluster>();
        var steps = new List<ClusterStepSummary>();
        int position = 0;
        foreach (string step in graph.Steps)
        {
            var byKey = new Dictionary<(int, int, int), (string Key, List<int> Quanta)>();
            int count = 0, single = 0;
            for (; position < graph.Quanta.Count && graph.Quanta[position].Step == step; position++)   // quanta are listed step by step
            {
                var q = graph.Quanta[position];
                count++;
                var d = q.DataId;
                (int, int, int) key = d switch
                {
                    { Visit: int v, Detector: int det } when config.IsrKey == IsrClusterKey.Detector => (0, groupOf[v], det),
                    { Visit: int v, Detector: int } => (0, groupOf[v], v),
                    { Tract: int t, Patch: int, Visit: int v } => (0, t, v),
                    { Tract: int t, Patch: int p } => (0, t, p),
                    _ => (1, single++, 0),
                };
                if (!byKey.TryGetValue(key, out var entry)) byKey[key] = entry = (Describe(q, config, groupOf), []);
                entry.Quanta.Add(position);
            }
            int index = 0;
            var dependsOn = new HashSet<int>();
            foreach (var (_, (key, quanta)) in byKey.OrderBy(e => e.Key))
            {
                string id = $"{step}/{index:00000}";
                dependsOn.Clear();
                var ids = new string[quanta.Count];
                for (int i = 0; i < quanta.Count; i++)
                {
                    int p = quanta[i];
                    ids[i] = graph.Quanta[p].Id;
                    clusterOf[p] = clusters.Count;
                    foreach (int dep in graph.DependencyPositions(p)) dependsOn.Add(clusterOf[dep]);
                }
                var upstream = dependsOn.Select(c => clusters[c].Id).ToArray();
                Array.Sort(upstream, StringComparer.Ordinal);
                clusters.Add(new QuantumCluster(id, step, index, key, ids, upstream));
                index++;
            }
            steps.Add(new ClusterStepSummary(step, index, count));
        }
        var summary = new ClusterPlanSummary(ClusterPlan.FormatVersion, graph.Data, graph.Output, config.VisitsPerGroup,
                                             config.IsrKey.ToString().ToLowerInvariant(), graph.Quanta.Count, steps, groups);
        return new ClusterPlan(summary, clusters);
    }

    /// <summary>What the cluster a quantum opens shares, in words (<see cref="QuantumCluster.Key"/>).</summary>
    private static string Describe(Quantum q, ClusterConfig config, IReadOnlyDictionary<int, int> groupOf)
    {
        var d = q.DataId;
        return d switch
        {
            { Visit: int v, Detector: int det } when config.IsrKey == IsrClusterKey.Detector =>
                $"group {groupOf[v]} detector {d.DetectorName ?? det.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            { Visit: int v, Detector: int } => $"group {groupOf[v]} visit {v}",
            { Tract: int t, Patch: int, Visit: int v } => $"tract {t} visit {v}",
            { Tract: int t, Patch: int p } => $"tract {t} patch {p}",
            _ => q.Id,
        };
    }
}
