using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Execution;

/// <summary>One cluster of a Slurm campaign: its state and where the state comes from.</summary>
/// <param name="Step">The step.</param>
/// <param name="Index">The cluster's index in its step.</param>
/// <param name="State">Its state.</param>
/// <param name="Source">Where the state comes from: <c>report</c> (its per-cluster report), <c>squeue</c>, <c>jobcomp</c>
/// (the jobcomp file), <c>absent</c> (submitted, but neither Slurm nor a report knows of it) or <c>jobs.json</c> (never
/// submitted).</param>
/// <param name="JobId">The latest array job that holds it, with its task index (<c>12_3</c>), or null when none does.</param>
/// <param name="SlurmState">What Slurm said of that task, when it said anything.</param>
public sealed record SlurmClusterStatus(string Step, int Index, SlurmClusterState State, string Source, string? JobId, string? SlurmState);

/// <summary>One step of a Slurm campaign: its clusters by state.</summary>
/// <param name="Step">The step.</param>
/// <param name="Clusters">Its clusters.</param>
/// <param name="Done">Done.</param>
/// <param name="Running">Running.</param>
/// <param name="Pending">Pending.</param>
/// <param name="Failed">Failed.</param>
/// <param name="Cancelled">Cancelled, or vanished without a report.</param>
/// <param name="NotSubmitted">In no job.</param>
public sealed record SlurmStepStatus(string Step, int Clusters, int Done, int Running, int Pending, int Failed, int Cancelled, int NotSubmitted);

/// <summary>Where a Slurm campaign stands (<see cref="SlurmCampaign.Status"/>).</summary>
/// <param name="Steps">Per step, in the plan's order.</param>
/// <param name="Clusters">Every cluster, step by step in index order.</param>
/// <param name="Sources">What was read: squeue, the jobcomp file (or why not), the reports' directory.</param>
public sealed record SlurmCampaignStatus(IReadOnlyList<SlurmStepStatus> Steps, IReadOnlyList<SlurmClusterStatus> Clusters, IReadOnlyList<string> Sources)
{
    /// <summary>True while a cluster is pending or running.</summary>
    public bool Active => Clusters.Any(c => c.State is SlurmClusterState.Pending or SlurmClusterState.Running);

    /// <summary>True when every cluster is done.</summary>
    public bool Complete => Clusters.All(c => c.State == SlurmClusterState.Done);

    /// <summary>The status as indented JSON (camelCase names, states as their names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SlurmStatusJsonContext.Default.SlurmCampaignStatus);
}

/// <summary>Source-generated JSON metadata for a campaign's status.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true,
                             DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SlurmCampaignStatus))]
internal sealed partial class SlurmStatusJsonContext : JsonSerializerContext;
