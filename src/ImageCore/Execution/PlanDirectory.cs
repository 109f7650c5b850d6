using System.Globalization;

namespace ImageCore.Execution;

/// <summary>
/// The layout of a plan directory, which a batch system's jobs read (<c>imagecore plan</c> writes it):
/// <list type="bullet">
/// <item><c>graph.json</c>: the <see cref="QuantumGraph"/> as compact JSON (<see cref="QuantumGraph.WriteJson"/>, streamed);</item>
/// <item><c>clusters/STEP/NNNNN.json</c>: each <see cref="QuantumCluster"/>, by its index in its step, so that a job
/// array's index names its cluster's file;</item>
/// <item><c>clusters/STEP/NNNNN.graph.json</c>: the part of the graph the cluster's job needs
/// (<see cref="QuantumGraph.Subgraph"/>, compact JSON), so that a job does not read the whole graph;</item>
/// <item><c>plan.json</c>: the <see cref="ClusterPlanSummary"/>, written last (a plan directory with it is complete).</item>
/// </list>
/// Every file is written under a temporary name and renamed.
/// </summary>
public static class PlanDirectory
{
    /// <summary>The graph's file name.</summary>
    public const string GraphFileName = "graph.json";

    /// <summary>The summary's file name.</summary>
    public const string SummaryFileName = "plan.json";

    /// <summary>The clusters' directory name.</summary>
    public const string ClustersDirectoryName = "clusters";

    /// <summary><c>DIR/graph.json</c>.</summary>
    public static string GraphPath(string dir) => Path.Combine(dir, GraphFileName);

    /// <summary><c>DIR/plan.json</c>.</summary>
    public static string SummaryPath(string dir) => Path.Combine(dir, SummaryFileName);

    /// <summary><c>DIR/clusters/STEP/NNNNN.graph.json</c>.</summary>
    public static string ClusterGraphPath(string dir, string step, int index) =>
        Path.Combine(dir, ClustersDirectoryName, step, index.ToString("00000", CultureInfo.InvariantCulture) + ".graph.json");

    /// <summary>The part of the graph that cluster <paramref name="index"/> of <paramref name="step"/> needs.</summary>
    /// <exception cref="IOException">No such file.</exception>
    /// <exception cref="System.Text.Json.JsonException">Not a quantum graph.</exception>
    public static QuantumGraph ReadClusterGraph(string dir, string step, int index)
    {
        using var stream = File.OpenRead(ClusterGraphPath(dir, step, index));
        return QuantumGraph.FromJson(stream);
    }

    /// <summary><c>DIR/clusters/STEP/NNNNN.json</c>.</summary>
    public static string ClusterPath(string dir, string step, int index) =>
        Path.Combine(dir, ClustersDirectoryName, step, index.ToString("00000", CultureInfo.InvariantCulture) + ".json");

    /// <summary>Writes <paramref name="graph"/> and <paramref name="plan"/> (its clustering) under <paramref name="dir"/>,
    /// replacing files of the same names; <c>plan.json</c> last.</summary>
    /// <exception cref="IOException">Writing failed (no file is left half-written under its name).</exception>
    public static void Write(string dir, QuantumGraph graph, ClusterPlan plan)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(plan);
        Directory.CreateDirectory(dir);
        foreach (var step in plan.Summary.Steps) Directory.CreateDirectory(Path.Combine(dir, ClustersDirectoryName, step.Name));
        // The whole graph (hundreds of MB for a night, read by no job) streamed while the clusters' parts are written.
        var whole = Task.Run(() => WriteAtomically(GraphPath(dir), stream => graph.WriteJson(stream, indented: false)));
        Parallel.ForEach(plan.Clusters, cluster =>
        {
            WriteAtomically(ClusterGraphPath(dir, cluster.Step, cluster.Index), stream => graph.Subgraph(cluster.Quanta).WriteJson(stream, indented: false));
            WriteAtomically(ClusterPath(dir, cluster.Step, cluster.Index), ClusterPlan.ToJson(cluster));
        });
        whole.GetAwaiter().GetResult();
        WriteAtomically(SummaryPath(dir), ClusterPlan.ToJson(plan.Summary));
    }

    /// <summary>The summary of the plan in <paramref name="dir"/>.</summary>
    /// <exception cref="IOException">No readable <c>plan.json</c>.</exception>
    /// <exception cref="System.Text.Json.JsonException">Not a plan summary.</exception>
    public static ClusterPlanSummary ReadSummary(string dir) => ClusterPlan.SummaryFromJson(File.ReadAllText(SummaryPath(dir)));

    /// <summary>The quantum graph of the plan in <paramref name="dir"/>.</summary>
    /// <exception cref="IOException">No readable <c>graph.json</c>.</exception>
    /// <exception cref="System.Text.Json.JsonException">Not a quantum graph.</exception>
    public static QuantumGraph ReadGraph(string dir)
    {
        using var stream = File.OpenRead(GraphPath(dir));
        return QuantumGraph.FromJson(stream);
    }

    /// <summary>Cluster <paramref name="index"/> of <paramref name="step"/> in the plan in <paramref name="dir"/>.</summary>
    /// <exception cref="IOException">No such cluster file.</exception>
    /// <exception cref="System.Text.Json.JsonException">Not a cluster, or not the cluster its path names.</exception>
    public static QuantumCluster ReadCluster(string dir, string step, int index)
    {
        var cluster = ReadCluster(ClusterPath(dir, step, index));
        if (cluster.Step != step || cluster.Index != index)
            throw new System.Text.Json.JsonException($"{ClusterPath(dir, step, index)} holds cluster {cluster.Id}, not {step} {index}");
        return cluster;
    }

    /// <summary>The cluster in the file <paramref name="path"/>.</summary>
    /// <exception cref="IOException">No such file.</exception>
    /// <exception cref="System.Text.Json.JsonException">Not a cluster.</exception>
    public static QuantumCluster ReadCluster(string path) => ClusterPlan.ClusterFromJson(File.ReadAllText(path));

    private static void WriteAtomically(string path, string text) => WriteAtomically(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
    });

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 14))
            write(stream);
        File.Move(temp, path, overwrite: true);
    }
}
