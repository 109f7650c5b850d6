using System.Globalization;
using System.Text;

namespace ImageCore.Execution;

/// <summary>
/// A plan's Slurm job arrays (<c>imagecore slurm submit</c>): one sbatch script per step and chunk,
/// <c>PLAN/slurm/STEP-CCC.sbatch</c>, each a job array over a contiguous range of the step's cluster indices (at most
/// <see cref="SlurmSubmitConfig.MaxArraySize"/> tasks), whose task <c>i</c> runs
/// <c>imagecore run --data D --out O --plan P --cluster STEP:(OFFSET + i) --threads $SLURM_CPUS_PER_TASK</c>.
/// Every array of a step depends on all arrays of the previous step with <c>afterok</c> (and
/// <c>--kill-on-invalid-dep=yes</c>, so a failed step cancels the rest instead of leaving it pending forever):
/// <c>aftercorr</c> would pair task <c>i</c> with task <c>i</c> of the previous array, but cluster <c>i</c> of one step
/// does not correspond to cluster <c>i</c> of the next (a warp cluster reads the ISR outputs of many ISR clusters).
/// CPU binding is Slurm's: with task/affinity each array task's batch step is bound to its allocated CPUs; sbatch 22.05
/// has no <c>--cpu-bind</c>, and nothing is pinned beyond that.
/// </summary>
public static class SlurmScripts
{
    /// <summary>The directory name under the plan directory.</summary>
    public const string DirectoryName = "slurm";

    /// <summary>The submitted jobs' file name (<see cref="WriteJobs"/>).</summary>
    public const string JobsFileName = "jobs.json";

    /// <summary><c>PLAN/slurm</c>.</summary>
    public static string Directory(string planDir) => Path.Combine(planDir, DirectoryName);

    /// <summary><c>PLAN/slurm/logs</c>, where the array tasks' output goes.</summary>
    public static string LogDirectory(string planDir) => Path.Combine(planDir, DirectoryName, "logs");

    /// <summary><c>PLAN/slurm/jobs.json</c>.</summary>
    public static string JobsPath(string planDir) => Path.Combine(planDir, DirectoryName, JobsFileName);

    /// <summary>The job arrays for the plan in <paramref name="planDir"/> with the summary <paramref name="summary"/>, in
    /// submission order (steps in order, chunks in order). A step without clusters gets none; the next step then depends on
    /// the arrays of the last step that has some.</summary>
    /// <exception cref="ArgumentException">A setting is out of range, or a path cannot be written into an sbatch directive
    /// (white space or <c>%</c> in the plan directory).</exception>
    public static IReadOnlyList<SlurmArrayJob> Build(string planDir, ClusterPlanSummary summary, SlurmSubmitConfig config)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (planDir.Any(c => char.IsWhiteSpace(c) || c is '%' or '\'' or '"'))
            throw new ArgumentException($"the plan directory '{planDir}' has white space, a quote or '%', which an #SBATCH --output line cannot hold");
        var jobs = new List<SlurmArrayJob>();
        IReadOnlyList<SlurmArrayJob> previous = [];
        foreach (var step in summary.Steps)
        {
            if (step.Clusters <= 0) continue;
            var current = new List<SlurmArrayJob>();
            for (int chunk = 0, offset = 0; offset < step.Clusters; chunk++, offset += config.MaxArraySize)
            {
                int count = Math.Min(config.MaxArraySize, step.Clusters - offset);
                string path = Path.Combine(Directory(planDir), string.Create(CultureInfo.InvariantCulture, $"{step.Name}-{chunk:000}.sbatch"));
                current.Add(new SlurmArrayJob(step.Name, chunk, offset, count, path, Script(planDir, step.Name, offset, count, config), previous));
            }
            jobs.AddRange(current);
            previous = current;
        }
        return jobs;
    }

    /// <summary>The sbatch arguments for <paramref name="job"/> given the job ids of the arrays it depends on (in
    /// <see cref="SlurmArrayJob.DependsOn"/>'s order): <c>--parsable [--dependency=afterok:ID:ID...] SCRIPT</c>.</summary>
    /// <exception cref="ArgumentException">Not one id per dependency.</exception>
    public static IReadOnlyList<string> SbatchArguments(SlurmArrayJob job, IReadOnlyList<string> dependencyIds)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(dependencyIds);
        if (dependencyIds.Count != job.DependsOn.Count)
            throw new ArgumentException($"{job.Placeholder} depends on {job.DependsOn.Count} arrays, not {dependencyIds.Count}");
        var args = new List<string> { "--parsable" };
        if (dependencyIds.Count > 0) args.Add("--dependency=afterok:" + string.Join(':', dependencyIds));
        args.Add(job.ScriptPath);
        return args;
    }

    /// <summary>The command line a dry run prints for <paramref name="job"/>: the job ids as shell variables,
    /// <c>JOB_isr_0=$(sbatch --parsable --dependency=afterok:$JOB_x_0 'PLAN/slurm/isr-000.sbatch')</c>.</summary>
    public static string DryRunLine(SlurmArrayJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var args = SbatchArguments(job, [.. job.DependsOn.Select(d => "$" + d.Placeholder)]);
        return $"{job.Placeholder}=$(sbatch {string.Join(' ', args.Select((a, i) => i == args.Count - 1 ? Quote(a) : a))})";
    }

    /// <summary>The job id in sbatch <c>--parsable</c> output (<c>ID</c> or <c>ID;CLUSTER</c>).</summary>
    /// <exception cref="FormatException">No job id.</exception>
    public static string ParseJobId(string sbatchOutput)
    {
        ArgumentNullException.ThrowIfNull(sbatchOutput);
        string id = sbatchOutput.Trim().Split(';')[0].Trim();
        if (id.Length == 0 || !id.All(char.IsAsciiDigit)) throw new FormatException($"sbatch --parsable printed '{sbatchOutput.Trim()}', not a job id");
        return id;
    }

    /// <summary>Writes <c>PLAN/slurm/jobs.json</c> (<see cref="SlurmJobsFile"/>) for a first submission: one entry per
    /// submitted array (step, chunk, offset, count, script, job id, every index, the job ids it waits for), so that later
    /// commands find the jobs. Written under a temporary name and renamed.</summary>
    /// <exception cref="ArgumentException">Not one id per job.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public static void WriteJobs(string planDir, IReadOnlyList<SlurmArrayJob> jobs, IReadOnlyList<string> jobIds)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(jobIds);
        if (jobIds.Count > jobs.Count) throw new ArgumentException($"{jobIds.Count} job ids for {jobs.Count} jobs");
        var records = new List<SlurmJobRecord>();
        for (int i = 0; i < jobIds.Count; i++)
        {
            var job = jobs[i];
            var deps = job.DependsOn.Select(d => IndexOf(jobs, d) is int k and >= 0 && k < jobIds.Count ? jobIds[k] : "").ToList();
            records.Add(new SlurmJobRecord(job.Step, job.Chunk, job.Offset, job.Count, job.ScriptPath, jobIds[i], [.. Enumerable.Range(0, job.Count)], 0, deps));
        }
        SlurmJobsFile.Write(planDir, records);
    }

    private static int IndexOf(IReadOnlyList<SlurmArrayJob> jobs, SlurmArrayJob job)
    {
        for (int i = 0; i < jobs.Count; i++) if (ReferenceEquals(jobs[i], job)) return i;
        return -1;
    }

    /// <summary><paramref name="text"/> as one single-quoted shell word.</summary>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static string Script(string planDir, string step, int offset, int count, SlurmSubmitConfig config)
    {
        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append(CultureInfo.InvariantCulture, $"# imagecore slurm submit: step {step}, clusters {offset}-{offset + count - 1} (array task i runs cluster {offset} + i)\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=imagecore-{step}\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{count - 1}{(config.MaxParallel is { } p ? "%" + p.ToString(CultureInfo.InvariantCulture) : "")}\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={config.CpusPerTask}\n");
        if (config.MemPerCpuMb is { } mem) s.Append(CultureInfo.InvariantCulture, $"#SBATCH --mem-per-cpu={mem}\n");
        if (config.Partition is { } partition) s.Append(CultureInfo.InvariantCulture, $"#SBATCH --partition={partition}\n");
        s.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={Path.Combine(LogDirectory(planDir), step)}-%A_%a.out\n");
        s.Append("#SBATCH --kill-on-invalid-dep=yes\n");
        s.Append("# CPU binding: Slurm's task/affinity binds this task to its allocated CPUs; imagecore pins nothing beyond that.\n");
        s.Append("set -euo pipefail\n");
        s.Append(CultureInfo.InvariantCulture, $"index=$((SLURM_ARRAY_TASK_ID + {offset}))\n");
        s.Append(CultureInfo.InvariantCulture,
            $"exec {Quote(config.Executable)} run --data {Quote(config.Data)} --out {Quote(config.Output)} --plan {Quote(planDir)} --cluster \"{step}:${{index}}\" --threads \"${{SLURM_CPUS_PER_TASK}}\"\n");
        return s.ToString();
    }
}
