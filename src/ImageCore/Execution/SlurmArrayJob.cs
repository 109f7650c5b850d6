namespace ImageCore.Execution;

/// <summary>One sbatch script of a plan (<see cref="SlurmScripts"/>): a job array over a contiguous range of one step's
/// cluster indices. Array task <c>i</c> runs cluster <c>Offset + i</c>.</summary>
/// <param name="Step">The step.</param>
/// <param name="Chunk">The chunk of the step, from 0 (a step with more clusters than the largest array has several).</param>
/// <param name="Offset">The cluster index of array task 0.</param>
/// <param name="Count">The array's size: clusters <c>Offset</c> to <c>Offset + Count - 1</c>.</param>
/// <param name="ScriptPath">Where the script goes: <c>PLAN/slurm/STEP-CCC.sbatch</c>.</param>
/// <param name="Script">The script's text.</param>
/// <param name="DependsOn">The arrays it waits for (<c>afterok</c>): all arrays of the previous step; empty for the first.</param>
public sealed record SlurmArrayJob(string Step, int Chunk, int Offset, int Count, string ScriptPath, string Script, IReadOnlyList<SlurmArrayJob> DependsOn)
{
    /// <summary>A shell variable name for the job id this array gets (<c>JOB_STEP_CHUNK</c>), as a dry run prints it.</summary>
    public string Placeholder => $"JOB_{Step}_{Chunk}";
}
