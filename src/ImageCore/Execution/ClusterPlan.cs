using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Execution;

/// <summary>
/// A quantum graph's quanta grouped into clusters (<see cref="QuantumClusterer.Cluster"/>): every quantum in exactly one
/// cluster, the clusters of each step indexed from 0, each depending only on clusters of earlier steps. Written to and
/// read from a directory by <see cref="PlanDirectory"/>; its parts are serialised through source-generated metadata.
/// </summary>
public sealed class ClusterPlan
{
    /// <summary>The plan format this code writes: 2, a step's clusters as records of one file with an index
    /// (<see cref="PlanDirectory"/>). It also reads format 1, a file per cluster.</summary>
    public const int FormatVersion = 2;

    private readonly Dictionary<string, List<QuantumCluster>> _byStep;

    /// <summary>A plan of <paramref name="summary"/>'s steps and <paramref name="clusters"/>, step by step.</summary>
    /// <exception cref="ArgumentException">A cluster of a step the summary does not list, or out of its step's index order,
    /// or a step's cluster count that is not the summary's.</exception>
    public ClusterPlan(ClusterPlanSummary summary, IReadOnlyList<QuantumCluster> clusters)
    {
        Summary = summary ?? throw new ArgumentNullException(nameof(summary));
        Clusters = clusters ?? throw new ArgumentNullException(nameof(clusters));
        _byStep = summary.Steps.ToDictionary(s => s.Name, _ => new List<QuantumCluster>(), StringComparer.Ordinal);
        foreach (var c in clusters)
        {
            if (!_byStep.TryGetValue(c.Step, out var list)) throw new ArgumentException($"cluster {c.Id}: step {c.Step} is not one of the plan's steps");
            if (c.Index != list.Count) throw new ArgumentException($"cluster {c.Id}: index {c.Index} where {list.Count} was next");
            list.Add(c);
        }
        foreach (var s in summary.Steps)
            if (_byStep[s.Name].Count != s.Clusters) throw new ArgumentException($"step {s.Name}: {_byStep[s.Name].Count} clusters, the summary says {s.Clusters}");
    }

    /// <summary>The plan's <c>plan.json</c>.</summary>
    public ClusterPlanSummary Summary { get; }

    /// <summary>Every cluster, step by step, each step's in index order.</summary>
    public IReadOnlyList<QuantumCluster> Clusters { get; }

    /// <summary>The clusters of <paramref name="step"/>, in index order.</summary>
    /// <exception cref="KeyNotFoundException">The plan has no such step.</exception>
    public IReadOnlyList<QuantumCluster> ClustersOf(string step) =>
        _byStep.TryGetValue(step, out var list) ? list : throw new KeyNotFoundException($"the plan has no step {step} (has {string.Join(", ", _byStep.Keys)})");

    /// <summary><paramref name="cluster"/> as indented JSON (camelCase names).</summary>
    public static string ToJson(QuantumCluster cluster) => JsonSerializer.Serialize(cluster, ClusterPlanJsonContext.Default.QuantumCluster);

    /// <summary>The cluster <paramref name="json"/> holds, as <see cref="ToJson(QuantumCluster)"/> writes it.</summary>
    /// <exception cref="JsonException">Not JSON, or a missing, null or mistyped field.</exception>
    public static QuantumCluster ClusterFromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Checked(JsonSerializer.Deserialize(json, ClusterPlanJsonContext.Default.QuantumCluster));
    }

    /// <summary><see cref="ClusterFromJson(string)"/> of UTF-8 bytes.</summary>
    internal static QuantumCluster ClusterFromJson(ReadOnlySpan<byte> json) =>
        Checked(JsonSerializer.Deserialize(json, ClusterPlanJsonContext.Default.QuantumCluster));

    private static QuantumCluster Checked(QuantumCluster? c)
    {
        if (c is null) throw new JsonException("the cluster is null");
        if (c.Id is null || c.Step is null || c.Key is null || c.Quanta is null || c.DependsOn is null || c.Quanta.Contains(null!) || c.DependsOn.Contains(null!))
            throw new JsonException("a cluster's id, step, key, quanta and dependencies must be given");
        return c;
    }

    /// <summary><paramref name="summary"/> as indented JSON (camelCase names).</summary>
    public static string ToJson(ClusterPlanSummary summary) => JsonSerializer.Serialize(summary, ClusterPlanJsonContext.Default.ClusterPlanSummary);

    /// <summary>The summary <paramref name="json"/> holds, as <see cref="ToJson(ClusterPlanSummary)"/> writes it.</summary>
    /// <exception cref="JsonException">Not JSON, a missing or mistyped field, or another format version.</exception>
    public static ClusterPlanSummary SummaryFromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var s = JsonSerializer.Deserialize(json, ClusterPlanJsonContext.Default.ClusterPlanSummary) ?? throw new JsonException("the plan summary is null");
        if (s.Version is not (1 or FormatVersion)) throw new JsonException($"plan version {s.Version}: this ImageCore reads versions 1 and {FormatVersion}");
        if (s.Data is null || s.Output is null || s.IsrKey is null || s.Steps is null || s.Groups is null || s.Steps.Contains(null!) || s.Groups.Contains(null!))
            throw new JsonException("a plan's data, output, ISR key, steps and groups must be given");
        return s;
    }
}

/// <summary>Source-generated JSON metadata for cluster plans: camelCase names, indented, every constructor parameter required
/// and unknown names refused.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
                             RespectRequiredConstructorParameters = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(QuantumCluster))]
[JsonSerializable(typeof(ClusterPlanSummary))]
internal sealed partial class ClusterPlanJsonContext : JsonSerializerContext;
