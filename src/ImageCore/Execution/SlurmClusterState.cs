namespace ImageCore.Execution;

/// <summary>Where a cluster of a Slurm campaign stands (<see cref="SlurmCampaign.Status"/>).</summary>
public enum SlurmClusterState
{
    /// <summary>Its report lists no failure, or its task completed (exit 0).</summary>
    Done,

    /// <summary>Its task runs.</summary>
    Running,

    /// <summary>Its task waits (for resources, or for the previous step: a dependency).</summary>
    Pending,

    /// <summary>Its report lists failed or skipped quanta, or its task failed (non-zero exit, time limit, node failure, out of memory).</summary>
    Failed,

    /// <summary>Its task was cancelled (by hand, or by Slurm because a step it waits for failed), or Slurm has no trace of it
    /// and it left no report.</summary>
    Cancelled,

    /// <summary>No job of the campaign holds it.</summary>
    NotSubmitted,
}
