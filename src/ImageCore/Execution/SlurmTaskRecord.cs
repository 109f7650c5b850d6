namespace ImageCore.Execution;

/// <summary>What Slurm says about one array task (or about every task of an array it does not list one by one).</summary>
/// <param name="ArrayJobId">The array's job id (for a job that is not an array, its own id).</param>
/// <param name="Index">The array task index, or null for a record that stands for every index of the array not recorded
/// otherwise (the jobcomp line of an array cancelled while pending).</param>
/// <param name="State">Slurm's job state, upper case, first word (<c>PENDING</c>, <c>RUNNING</c>, <c>COMPLETED</c>,
/// <c>FAILED</c>, <c>CANCELLED</c>, <c>TIMEOUT</c>, ...).</param>
/// <param name="Source">Where it comes from: <c>squeue</c> or <c>jobcomp</c>.</param>
public sealed record SlurmTaskRecord(string ArrayJobId, int? Index, string State, string Source);
