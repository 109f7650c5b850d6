namespace ImageCore.Execution;

/// <summary>One <c>sbatch</c> of a campaign, as <c>PLAN/slurm/jobs.json</c> records it (<see cref="SlurmJobsFile"/>): a job
/// array of one step's chunk, submitted first with every index or later again with some (a resubmission).</summary>
/// <param name="Step">The step.</param>
/// <param name="Chunk">The chunk of the step (<see cref="SlurmArrayJob.Chunk"/>).</param>
/// <param name="Offset">The cluster index of array task 0: task <c>i</c> runs cluster <c>Offset + i</c>.</param>
/// <param name="Count">The chunk's size: its script's tasks are 0 to <c>Count - 1</c>.</param>
/// <param name="Script">The sbatch script.</param>
/// <param name="JobId">The array job id sbatch gave.</param>
/// <param name="Indexes">The array task indexes submitted (relative to <paramref name="Offset"/>), ascending.</param>
/// <param name="Submission">0 for the campaign's first submission, then 1, 2, ... for each resubmission.</param>
/// <param name="DependsOn">The job ids it waits for (<c>afterok</c>).</param>
public sealed record SlurmJobRecord(string Step, int Chunk, int Offset, int Count, string Script, string JobId, IReadOnlyList<int> Indexes,
                                    int Submission, IReadOnlyList<string> DependsOn)
{
    /// <summary>The cluster indexes of the step this job runs (<see cref="Offset"/> plus each of <see cref="Indexes"/>).</summary>
    public IEnumerable<int> Clusters => Indexes.Select(i => Offset + i);
}
