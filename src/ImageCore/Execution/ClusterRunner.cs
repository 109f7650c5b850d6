using ImageCore.Fits;

namespace ImageCore.Execution;

/// <summary>
/// Runs one <see cref="QuantumCluster"/> of a plan, as one job of a batch array: the cluster's quanta whose outputs all
/// exist and verify (<see cref="FitsVerifier"/>: structure, CHECKSUM and DATASUM, with no error or warning) are done and
/// left alone; the others run through <see cref="Pipeline"/> with the graph's other quanta read from disk, and their
/// report is written to <see cref="DataRepository.ClusterReport"/> (temporary name, renamed), not to the repository's
/// <c>report.json</c>. An output that fails verification is written again. A quantum that ran and had nothing to write (a warp
/// with no good pixel in its patch, a coadd whose warps were all empty) left its <see cref="DataRepository.EmptyMarker"/>
/// and is done too. A rerun of a finished cluster therefore runs nothing and writes nothing.
/// </summary>
public static class ClusterRunner
{
    /// <summary>Runs <paramref name="cluster"/> of <paramref name="graph"/> with <paramref name="config"/>'s run settings.</summary>
    /// <exception cref="ArgumentException">A bad configuration, or a quantum of the cluster that is not in the graph.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; finished outputs stay, none is half-written.</exception>
    public static ClusterRunResult Run(QuantumGraph graph, QuantumCluster cluster, PipelineConfig config, IProgress<PipelineProgress>? progress = null,
                                       CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var done = new List<string>();
        var todo = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in cluster.Quanta)
        {
            cancel.ThrowIfCancellationRequested();
            if (!graph.Contains(id)) throw new ArgumentException($"cluster {cluster.Id}: quantum {id} is not in the quantum graph");
            if (graph[id].Outputs.All(IsVerified) || DataRepository.RanEmpty(graph[id])) done.Add(id);
            else todo.Add(id);
        }
        if (todo.Count == 0) return new ClusterRunResult(cluster, done, null);
        string reportPath = new DataRepository(graph.Output).ClusterReport(cluster.Step, cluster.Index);
        var report = Pipeline.Run(graph, config, todo, reportPath, progress, cancel);
        return new ClusterRunResult(cluster, done, report);
    }

    /// <summary>True when <paramref name="path"/> exists and <see cref="FitsVerifier"/> finds nothing wrong with it.</summary>
    public static bool IsVerified(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) return false;
        try
        {
            return FitsVerifier.Verify(path).Findings.Count == 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
