using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace ImageCore.Execution;

/// <summary>
/// The layout of a plan directory, which a batch system's jobs read (<c>imagecore plan</c> writes it):
/// <list type="bullet">
/// <item><c>graph.json</c>: the <see cref="QuantumGraph"/> as compact JSON (<see cref="QuantumGraph.WriteJson(Stream, bool)"/>, streamed);</item>
/// <item><c>clusters/STEP.jsonl</c>: one record per <see cref="QuantumCluster"/> of the step, in index order, so that a
/// job array's index names its cluster: two lines of compact JSON, the cluster and the part of the graph its job needs
/// (<see cref="QuantumGraph.Subgraph"/>), so that a job does not read the whole graph;</item>
/// <item><c>clusters/STEP.index</c>: where each record starts in <c>STEP.jsonl</c>, as little-endian 64-bit byte
/// offsets, one per cluster and then the file's length, so that a job reads its record and nothing else;</item>
/// <item><c>plan.json</c>: the <see cref="ClusterPlanSummary"/>, written last (a plan directory with it is complete).</item>
/// </list>
/// Every file is written under a temporary name and renamed. Plans of format 1 (<see cref="ClusterPlanSummary.Version"/>)
/// had a file per cluster instead, <c>clusters/STEP/NNNNN.json</c> and <c>NNNNN.graph.json</c> (<see cref="ClusterPath"/>,
/// <see cref="ClusterGraphPath"/>); they are still read, where a step has no <c>STEP.index</c>. A night's plan is a
/// handful of files instead of two per cluster (58,000 for 800 visits of 189 detectors), which a shared file system
/// creates far faster.
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

    /// <summary><c>DIR/clusters/STEP.jsonl</c>: the step's cluster records.</summary>
    public static string ClusterRecordsPath(string dir, string step) => Path.Combine(dir, ClustersDirectoryName, step + ".jsonl");

    /// <summary><c>DIR/clusters/STEP.index</c>: where each of the step's cluster records starts.</summary>
    public static string ClusterIndexPath(string dir, string step) => Path.Combine(dir, ClustersDirectoryName, step + ".index");

    /// <summary><c>DIR/clusters/STEP/NNNNN.graph.json</c>: a cluster's part of the graph in a plan of format 1.</summary>
    public static string ClusterGraphPath(string dir, string step, int index) =>
        Path.Combine(dir, ClustersDirectoryName, step, index.ToString("00000", CultureInfo.InvariantCulture) + ".graph.json");

    /// <summary><c>DIR/clusters/STEP/NNNNN.json</c>: a cluster's file in a plan of format 1.</summary>
    public static string ClusterPath(string dir, string step, int index) =>
        Path.Combine(dir, ClustersDirectoryName, step, index.ToString("00000", CultureInfo.InvariantCulture) + ".json");

    /// <summary>The part of the graph that cluster <paramref name="index"/> of <paramref name="step"/> needs.</summary>
    /// <exception cref="IOException">No such step or cluster.</exception>
    /// <exception cref="JsonException">Not a quantum graph.</exception>
    public static QuantumGraph ReadClusterGraph(string dir, string step, int index)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(step);
        if (!File.Exists(ClusterIndexPath(dir, step)))
        {
            using var stream = File.OpenRead(ClusterGraphPath(dir, step, index));
            return QuantumGraph.FromJson(stream);
        }
        var record = ReadRecord(dir, step, index);
        int newline = record.AsSpan().IndexOf((byte)'\n');
        using var graph = new MemoryStream(record, newline + 1, record.Length - newline - 1, writable: false);
        return QuantumGraph.FromJson(graph);
    }

    /// <summary>Cluster <paramref name="index"/> of <paramref name="step"/> in the plan in <paramref name="dir"/>.</summary>
    /// <exception cref="IOException">No such step or cluster.</exception>
    /// <exception cref="JsonException">Not a cluster, or not the cluster its place names.</exception>
    public static QuantumCluster ReadCluster(string dir, string step, int index)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(step);
        QuantumCluster cluster;
        string where;
        if (File.Exists(ClusterIndexPath(dir, step)))
        {
            var record = ReadRecord(dir, step, index);
            int newline = record.AsSpan().IndexOf((byte)'\n');
            cluster = ClusterPlan.ClusterFromJson(record.AsSpan(0, newline));
            where = $"record {index} of {ClusterRecordsPath(dir, step)}";
        }
        else
        {
            cluster = ReadCluster(ClusterPath(dir, step, index));
            where = ClusterPath(dir, step, index);
        }
        if (cluster.Step != step || cluster.Index != index)
            throw new JsonException($"{where} holds cluster {cluster.Id}, not {step} {index}");
        return cluster;
    }

    /// <summary>The cluster in the file <paramref name="path"/> (a cluster as <see cref="ClusterPlan.ToJson(QuantumCluster)"/>
    /// writes it: a plan of format 1 has one per cluster).</summary>
    /// <exception cref="IOException">No such file.</exception>
    /// <exception cref="JsonException">Not a cluster.</exception>
    public static QuantumCluster ReadCluster(string path) => ClusterPlan.ClusterFromJson(File.ReadAllText(path));

    /// <summary>Writes <paramref name="graph"/> and <paramref name="plan"/> (its clustering) under <paramref name="dir"/>,
    /// replacing files of the same names; <c>plan.json</c> last.</summary>
    /// <exception cref="IOException">Writing failed (no file is left half-written under its name).</exception>
    public static void Write(string dir, QuantumGraph graph, ClusterPlan plan)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(plan);
        Directory.CreateDirectory(Path.Combine(dir, ClustersDirectoryName));
        // The whole graph (hundreds of MB for a night, read by no job) streamed while the clusters' records are written.
        var whole = Task.Run(() => WriteAtomically(GraphPath(dir), stream => graph.WriteJson(stream, indented: false)));
        try
        {
            foreach (var step in plan.Summary.Steps)
            {
                var clusters = plan.ClustersOf(step.Name);
                WriteStep(dir, step.Name, clusters.Count, (buffer, index) => WriteRecord(buffer, graph, clusters[index]));
            }
        }
        finally
        {
            whole.GetAwaiter().GetResult();
        }
        WriteAtomically(SummaryPath(dir), stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(ClusterPlan.ToJson(plan.Summary));
        });
    }

    /// <summary>Writes the plan <paramref name="plan"/> and its clusters <paramref name="clusters"/> (<see cref="CompactPlan.Cluster"/>)
    /// under <paramref name="dir"/>: the bytes <see cref="Write(string, QuantumGraph, ClusterPlan)"/> writes for
    /// <see cref="CompactPlan.ToGraph"/> and its <see cref="QuantumClusterer.Cluster"/>, made from the plan's numbers.</summary>
    /// <exception cref="IOException">Writing failed (no file is left half-written under its name).</exception>
    internal static void Write(string dir, CompactPlan plan, CompactPlan.Clusters clusters)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(clusters);
        Directory.CreateDirectory(Path.Combine(dir, ClustersDirectoryName));
        var whole = Task.Run(() => WriteAtomically(GraphPath(dir), plan.WriteGraphJson));
        try
        {
            var (head, tail) = plan.GraphJsonFrame(unplanned: false);
            var scratch = new System.Collections.Concurrent.ConcurrentBag<(CompactPlan.Utf8Text, List<int>, List<int>)>();
            for (int s = 0; s < clusters.Summary.Steps.Count; s++)
            {
                int step = s;
                WriteStep(dir, clusters.Summary.Steps[s].Name, clusters.Ids[s].Length, (buffer, index) =>
                {
                    var work = scratch.TryTake(out var taken) ? taken : (new CompactPlan.Utf8Text(), new List<int>(), new List<int>());
                    plan.WriteRecord(buffer, clusters, step, index, head, tail, work.Item1, work.Item2, work.Item3);
                    scratch.Add(work);
                });
            }
        }
        finally
        {
            whole.GetAwaiter().GetResult();
        }
        WriteAtomically(SummaryPath(dir), stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(ClusterPlan.ToJson(clusters.Summary));
        });
    }

    /// <summary>The summary of the plan in <paramref name="dir"/>.</summary>
    /// <exception cref="IOException">No readable <c>plan.json</c>.</exception>
    /// <exception cref="JsonException">Not a plan summary.</exception>
    public static ClusterPlanSummary ReadSummary(string dir) => ClusterPlan.SummaryFromJson(File.ReadAllText(SummaryPath(dir)));

    /// <summary>The quantum graph of the plan in <paramref name="dir"/>.</summary>
    /// <exception cref="IOException">No readable <c>graph.json</c>.</exception>
    /// <exception cref="JsonException">Not a quantum graph.</exception>
    public static QuantumGraph ReadGraph(string dir)
    {
        using var stream = File.OpenRead(GraphPath(dir));
        return QuantumGraph.FromJson(stream);
    }

    /// <summary>Clusters serialised in parallel per batch, written in index order (each record's buffer is kept for the
    /// next batch: a night's coadd records are 400 kB each).</summary>
    private const int Batch = 32;

    /// <summary>Writes <c>STEP.jsonl</c> and then <c>STEP.index</c>: each of the <paramref name="clusters"/> records is
    /// serialised on its own by <paramref name="writeRecord"/> (in parallel, a batch at a time) and the batch written in index
    /// order.</summary>
    private static void WriteStep(string dir, string step, int clusters, Action<IBufferWriter<byte>, int> writeRecord)
    {
        var offsets = new long[clusters + 1];
        WriteAtomically(ClusterRecordsPath(dir, step), stream =>
        {
            var buffers = new ArrayBufferWriter<byte>[Math.Min(Batch, clusters)];
            for (int i = 0; i < buffers.Length; i++) buffers[i] = new ArrayBufferWriter<byte>(1 << 12);
            long position = 0;
            for (int start = 0; start < clusters; start += Batch)
            {
                int count = Math.Min(Batch, clusters - start);
                Parallel.For(0, count, i =>
                {
                    var buffer = buffers[i];
                    buffer.ResetWrittenCount();
                    writeRecord(buffer, start + i);
                });
                for (int i = 0; i < count; i++)
                {
                    offsets[start + i] = position;
                    stream.Write(buffers[i].WrittenSpan);
                    position += buffers[i].WrittenCount;
                }
            }
            offsets[^1] = position;
        });
        WriteAtomically(ClusterIndexPath(dir, step), stream =>
        {
            var bytes = new byte[offsets.Length * sizeof(long)];
            for (int i = 0; i < offsets.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), offsets[i]);
            stream.Write(bytes);
        });
    }

    /// <summary>A cluster's record: the cluster and its part of the graph, each compact JSON on a line of its own.</summary>
    private static void WriteRecord(IBufferWriter<byte> buffer, QuantumGraph graph, QuantumCluster cluster)
    {
        var options = new JsonWriterOptions { Indented = false, SkipValidation = true };
        using (var writer = new Utf8JsonWriter(buffer, options))
            JsonSerializer.Serialize(writer, cluster, ClusterPlanJsonContext.Default.QuantumCluster);
        buffer.Write("\n"u8);
        graph.WriteSubgraphJson(buffer, cluster.Quanta);   // the bytes of graph.Subgraph(cluster.Quanta).WriteJson
        buffer.Write("\n"u8);
    }

    /// <summary>The bytes of record <paramref name="index"/> of <paramref name="step"/>: the cluster's line, then its graph's.</summary>
    /// <exception cref="IOException">No such cluster, or an index that does not fit the records.</exception>
    private static byte[] ReadRecord(string dir, string step, int index)
    {
        string indexPath = ClusterIndexPath(dir, step), recordsPath = ClusterRecordsPath(dir, step);
        Span<byte> bounds = stackalloc byte[2 * sizeof(long)];
        using (var file = File.OpenRead(indexPath))
        {
            long clusters = file.Length / sizeof(long) - 1;
            if (file.Length % sizeof(long) != 0 || clusters < 0)
                throw new IOException($"{indexPath}: {file.Length} bytes is not a cluster index (8 bytes per cluster and 8 more)");
            if (index < 0 || index >= clusters)
                throw new IOException($"{indexPath}: the plan's step {step} has {clusters} clusters (indices 0-{clusters - 1}), not {index}");
            file.Position = (long)index * sizeof(long);
            file.ReadExactly(bounds);
        }
        long start = BinaryPrimitives.ReadInt64LittleEndian(bounds), end = BinaryPrimitives.ReadInt64LittleEndian(bounds[sizeof(long)..]);
        using var records = File.OpenRead(recordsPath);
        if (start < 0 || end <= start || end > records.Length || end - start > int.MaxValue)
            throw new IOException($"{indexPath}: cluster {index} at bytes {start}-{end}, outside {recordsPath} ({records.Length} bytes)");
        var record = new byte[end - start];
        records.Position = start;
        records.ReadExactly(record);
        int newline = record.AsSpan().IndexOf((byte)'\n');
        if (newline < 0 || record[^1] != (byte)'\n')
            throw new IOException($"{recordsPath}: record {index} (bytes {start}-{end}) is not a cluster's two lines");
        return record;
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                write(stream);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
