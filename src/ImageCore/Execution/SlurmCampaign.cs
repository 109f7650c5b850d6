using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ImageCore.Execution;

/// <summary>
/// A plan run on Slurm after <c>imagecore slurm submit</c>: its jobs are those <c>PLAN/slurm/jobs.json</c> records
/// (<see cref="SlurmJobsFile"/>), the first submission and every resubmission. <see cref="Status"/> says where each cluster
/// stands, <see cref="Cancel"/> stops every job of the campaign from one place, and <see cref="Resubmit"/> submits again,
/// step by step, the clusters that are not done.
/// </summary>
public static partial class SlurmCampaign
{
    /// <summary>Where each cluster of the plan in <paramref name="planDir"/> stands, from its per-cluster report and from
    /// Slurm: <paramref name="client"/>'s squeue (tasks slurmctld remembers) and its jobcomp file when the cluster keeps one.</summary>
    /// <exception cref="IOException">The plan, the jobs file or a report cannot be read, or squeue failed.</exception>
    /// <exception cref="JsonException">A malformed plan or jobs file.</exception>
    public static SlurmCampaignStatus Status(string planDir, SlurmClient client)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        ArgumentNullException.ThrowIfNull(client);
        var summary = PlanDirectory.ReadSummary(planDir);
        var jobs = SlurmJobsFile.Read(planDir);
        var tasks = new List<SlurmTaskRecord>(client.Queue());
        var sources = new List<string> { "squeue -r -t all: the tasks slurmctld remembers (pending, running, and finished ones for MinJobAge)" };
        if (client.JobCompletionFile() is { } jobcomp)
        {
            tasks.AddRange(SlurmAccounting.ParseJobComp(File.ReadAllText(jobcomp)));
            sources.Add($"jobcomp file {jobcomp}: tasks slurmctld has forgotten");
        }
        else sources.Add("no jobcomp/filetxt file (JobCompType): tasks slurmctld has forgotten are known only by their reports");
        sources.Add($"cluster reports under {Path.Combine(summary.Output, DataRepository.ClusterReportDirectoryName)}");
        return Compute(summary, jobs, tasks, sources);
    }

    /// <summary>The campaign's status from what was read: the plan's <paramref name="summary"/>, its <paramref name="jobs"/>,
    /// Slurm's <paramref name="tasks"/> (squeue's before jobcomp's) and the per-cluster reports in the plan's output
    /// repository. For each cluster, the latest job that holds it decides: a task Slurm says is pending or running is so;
    /// otherwise a report without failures, or a completed task, makes it done; a report with failures, or a failed task,
    /// failed; a cancelled task, or a submitted task Slurm and the reports know nothing of (Slurm leaves no trace of a
    /// pending task cancelled on its own), cancelled; a cluster in no job, not submitted, unless its report says done.</summary>
    /// <exception cref="IOException">A report cannot be read.</exception>
    public static SlurmCampaignStatus Compute(ClusterPlanSummary summary, IReadOnlyList<SlurmJobRecord> jobs, IReadOnlyList<SlurmTaskRecord> tasks,
                                             IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(sources);
        var byTask = new Dictionary<(string, int?), SlurmTaskRecord>();
        foreach (var t in tasks) byTask.TryAdd((t.ArrayJobId, t.Index), t);   // squeue's first
        var output = new DataRepository(summary.Output);
        var clusters = new List<SlurmClusterStatus>();
        var steps = new List<SlurmStepStatus>();
        foreach (var step in summary.Steps)
        {
            var latest = new Dictionary<int, (SlurmJobRecord Job, int Task)>();
            foreach (var job in jobs.Where(j => j.Step == step.Name).OrderBy(j => j.Submission))
                foreach (int i in job.Indexes) latest[job.Offset + i] = (job, i);
            var counts = new int[Enum.GetValues<SlurmClusterState>().Length];
            for (int index = 0; index < step.Clusters; index++)
            {
                bool? reportOk = ReportOk(output.ClusterReport(step.Name, index));
                SlurmClusterStatus status;
                if (!latest.TryGetValue(index, out var held))
                    status = reportOk == true
                        ? new SlurmClusterStatus(step.Name, index, SlurmClusterState.Done, "report", null, null)
                        : new SlurmClusterStatus(step.Name, index, SlurmClusterState.NotSubmitted, "jobs.json", null, null);
                else
                {
                    string id = string.Create(CultureInfo.InvariantCulture, $"{held.Job.JobId}_{held.Task}");
                    var task = byTask.GetValueOrDefault((held.Job.JobId, held.Task)) ?? byTask.GetValueOrDefault((held.Job.JobId, null));
                    status = task switch
                    {
                        { State: "RUNNING" or "COMPLETING" or "CONFIGURING" or "SIGNALING" or "STAGE_OUT" } t => new(step.Name, index, SlurmClusterState.Running, t.Source, id, t.State),
                        { } t when SlurmAccounting.IsActive(t.State) => new(step.Name, index, SlurmClusterState.Pending, t.Source, id, t.State),
                        _ when reportOk == true => new(step.Name, index, SlurmClusterState.Done, "report", id, task?.State),
                        { State: "COMPLETED" } t => new(step.Name, index, SlurmClusterState.Done, t.Source, id, t.State),
                        _ when reportOk == false => new(step.Name, index, SlurmClusterState.Failed, "report", id, task?.State),
                        { State: "CANCELLED" } t => new(step.Name, index, SlurmClusterState.Cancelled, t.Source, id, t.State),
                        { } t => new(step.Name, index, SlurmClusterState.Failed, t.Source, id, t.State),
                        null => new(step.Name, index, SlurmClusterState.Cancelled, "absent", id, null),
                    };
                }
                counts[(int)status.State]++;
                clusters.Add(status);
            }
            steps.Add(new SlurmStepStatus(step.Name, step.Clusters, counts[(int)SlurmClusterState.Done], counts[(int)SlurmClusterState.Running],
                counts[(int)SlurmClusterState.Pending], counts[(int)SlurmClusterState.Failed], counts[(int)SlurmClusterState.Cancelled],
                counts[(int)SlurmClusterState.NotSubmitted]));
        }
        return new SlurmCampaignStatus(steps, clusters, sources);
    }

    /// <summary>Cancels every job of the campaign that still has a pending or running task (<c>scancel</c> of each array
    /// job id, first submission and resubmissions alike); returns the job ids cancelled with their records.</summary>
    /// <exception cref="IOException">The jobs file cannot be read, or squeue or scancel failed.</exception>
    public static IReadOnlyList<SlurmJobRecord> Cancel(string planDir, SlurmClient client)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        ArgumentNullException.ThrowIfNull(client);
        var jobs = SlurmJobsFile.Read(planDir);
        var active = client.Queue().Where(t => SlurmAccounting.IsActive(t.State)).Select(t => t.ArrayJobId).ToHashSet(StringComparer.Ordinal);
        var cancel = jobs.Where(j => active.Contains(j.JobId)).ToList();
        client.Cancel([.. cancel.Select(j => j.JobId).Distinct(StringComparer.Ordinal)]);
        return cancel;
    }

    /// <summary>
    /// Submits again the clusters of the campaign in <paramref name="planDir"/> that are not done (failed, cancelled, gone,
    /// never submitted), step by step: each step's chunk gets one new array of its script with only those indexes
    /// (<c>sbatch --array=LIST</c>, the script's <c>%N</c> limit kept), after (<c>afterok</c>) every array this call
    /// submitted for earlier steps. A later step whose tasks Slurm cancelled because an earlier one failed is therefore
    /// submitted again too, in order. Each new job is appended to <c>jobs.json</c> as it is submitted (the history stays).
    /// Refused while any cluster is pending or running: a resubmission must not race the tasks it replaces.
    /// </summary>
    /// <returns>The new jobs; empty when every cluster is done.</returns>
    /// <exception cref="InvalidOperationException">Clusters are still pending or running, or a cluster to submit again is in
    /// no recorded chunk (the first submission did not finish).</exception>
    /// <exception cref="IOException">Slurm or the files failed.</exception>
    public static IReadOnlyList<SlurmJobRecord> Resubmit(string planDir, SlurmClient client)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        ArgumentNullException.ThrowIfNull(client);
        var status = Status(planDir, client);
        if (status.Active)
        {
            var busy = status.Clusters.Where(c => c.State is SlurmClusterState.Pending or SlurmClusterState.Running).ToList();
            throw new InvalidOperationException($"{busy.Count} clusters are still pending or running (first: {busy[0].Step} {busy[0].Index}, task {busy[0].JobId}); " +
                                                "wait for them, or cancel the campaign, before submitting again");
        }
        var jobs = SlurmJobsFile.Read(planDir).ToList();
        int submission = jobs.Count == 0 ? 0 : jobs.Max(j => j.Submission) + 1;
        var added = new List<SlurmJobRecord>();
        var previous = new List<string>();
        foreach (var step in status.Steps)
        {
            var todo = status.Clusters.Where(c => c.Step == step.Step && c.State != SlurmClusterState.Done).Select(c => c.Index).ToList();
            if (todo.Count == 0) continue;
            var chunks = jobs.Where(j => j.Step == step.Step && j.Submission == 0).OrderBy(j => j.Chunk).ToList();
            var current = new List<string>();
            foreach (var chunk in chunks)
            {
                var indexes = todo.Where(i => i >= chunk.Offset && i < chunk.Offset + chunk.Count).Select(i => i - chunk.Offset).ToList();
                if (indexes.Count == 0) continue;
                string array = SlurmJobsFile.ArrayList(indexes) + ParallelLimit(chunk.Script);
                var args = new List<string> { "--parsable", "--array=" + array };
                if (previous.Count > 0) args.Add("--dependency=afterok:" + string.Join(':', previous));
                args.Add(chunk.Script);
                string id = client.Submit(args);
                var record = new SlurmJobRecord(chunk.Step, chunk.Chunk, chunk.Offset, chunk.Count, chunk.Script, id, indexes, submission, [.. previous]);
                jobs.Add(record);
                added.Add(record);
                current.Add(id);
                SlurmJobsFile.Write(planDir, jobs);
            }
            int covered = chunks.Sum(c => todo.Count(i => i >= c.Offset && i < c.Offset + c.Count));
            if (covered != todo.Count)
                throw new InvalidOperationException($"step {step.Step}: {todo.Count - covered} clusters to submit are in no chunk the first submission recorded; submit the plan again");
            previous.AddRange(current);
        }
        return added;
    }

    /// <summary>The <c>%N</c> of the script's <c>#SBATCH --array=</c> line, or empty.</summary>
    private static string ParallelLimit(string script)
    {
        if (!File.Exists(script)) throw new InvalidOperationException($"the sbatch script {script} is gone; submit the plan again");
        foreach (string line in File.ReadLines(script))
            if (ArrayLine().Match(line) is { Success: true } m) return m.Groups[1].Value;
        return "";
    }

    [GeneratedRegex(@"^#SBATCH --array=\S*?(%\d+)\s*$")]
    private static partial Regex ArrayLine();

    /// <summary>True when the report at <paramref name="path"/> lists no failure, false when it lists some, null when there is none.</summary>
    private static bool? ReportOk(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.GetProperty("failures").GetArrayLength() == 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new IOException($"{path}: not a cluster report ({e.Message})", e);
        }
    }
}
