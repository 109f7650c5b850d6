using System.CommandLine;
using ImageCore.Execution;
using Spectre.Console;

namespace ImageCore.Cli;

/// <summary><c>imagecore slurm submit|status|cancel|resubmit</c>. <c>submit --plan DIR --data DIR --out DIR [--partition P] [--cpus-per-task N] [--mem-per-cpu MB]
/// [--max-parallel N] [--max-array-size N] [--imagecore PATH] [--dry-run]</c>: submits a plan's clusters as Slurm job arrays
/// (<see cref="SlurmScripts"/>); <c>status</c>, <c>cancel</c> and <c>resubmit --plan DIR</c> act on the campaign it recorded
/// (<see cref="SlurmCampaign"/>).</summary>
internal static class SlurmCommand
{
    /// <summary>Exit code of <c>slurm status</c> when no cluster is pending or running and some are not done (failed,
    /// cancelled, not submitted): the campaign needs <c>slurm resubmit</c>.</summary>
    public const int NotDone = 2;

    /// <summary>Exit code of <c>slurm status</c> while clusters are pending or running.</summary>
    public const int InProgress = 3;

    public static Command Create() => new("slurm", "run a plan (imagecore plan) on a Slurm cluster as job arrays")
    {
        CreateSubmit(), CreateStatus(), CreateCancel(), CreateResubmit(),
    };

    private static Option<DirectoryInfo> PlanOption() =>
        new("--plan") { Description = "the plan directory (imagecore plan) whose campaign imagecore slurm submit recorded in PLAN/slurm/jobs.json", Required = true };

    private static Command CreateStatus()
    {
        var planDir = PlanOption();
        var json = new Option<bool>("--json") { Description = "print one JSON object: per step the counts, per cluster its state, source and task" };
        var all = new Option<bool>("--clusters") { Description = "also list every cluster that is not done, with its task and where its state comes from" };
        var command = new Command("status", "per step, clusters done / running / pending / failed / cancelled / not submitted, from the per-cluster reports and Slurm (squeue -r -t all, then the jobcomp file); exit 0 when every cluster is done, 3 while some are pending or running, 2 when the rest need imagecore slurm resubmit")
        {
            planDir, json, all,
        };
        command.SetAction(parse =>
        {
            int code = 0;
            int fatal = CliErrors.Run(() =>
            {
                var status = SlurmCampaign.Status(parse.GetValue(planDir)!.FullName, new SlurmClient());
                if (parse.GetValue(json)) Console.WriteLine(status.ToJson());
                else PrintStatus(status, parse.GetValue(all));
                code = status.Complete ? 0 : status.Active ? InProgress : NotDone;
            });
            return fatal != 0 ? fatal : code;
        });
        return command;
    }

    private static void PrintStatus(SlurmCampaignStatus status, bool clusters)
    {
        var table = new Table().AddColumns("step", "clusters", "done", "running", "pending", "failed", "cancelled", "unsubmitted");
        foreach (var s in status.Steps)
            table.AddRow(s.Step, N(s.Clusters), N(s.Done), N(s.Running), N(s.Pending), N(s.Failed), N(s.Cancelled), N(s.NotSubmitted));
        AnsiConsole.Write(table);
        if (clusters)
            foreach (var c in status.Clusters.Where(c => c.State != SlurmClusterState.Done))
                AnsiConsole.MarkupLineInterpolated($"{c.Step} {c.Index}: {c.State} (from {c.Source}{(c.JobId is null ? "" : ", task " + c.JobId)}{(c.SlurmState is null ? "" : ", Slurm " + c.SlurmState)})");
        foreach (string source in status.Sources) AnsiConsole.MarkupLineInterpolated($"[grey]read: {source}[/]");
        AnsiConsole.WriteLine(status.Complete ? "every cluster is done" : status.Active ? "in progress" : "not done: imagecore slurm resubmit submits the clusters that are not done");

        static string N(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Command CreateCancel()
    {
        var planDir = PlanOption();
        var command = new Command("cancel", "scancel every job of the campaign (first submission and resubmissions) that still has a pending or running task; prints what it cancelled")
        {
            planDir,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cancelled = SlurmCampaign.Cancel(parse.GetValue(planDir)!.FullName, new SlurmClient());
            foreach (var job in cancelled)
                Console.WriteLine($"cancelled job {job.JobId}: {job.Step} clusters {string.Join(',', job.Clusters)} (submission {job.Submission})");
            Console.WriteLine(cancelled.Count == 0 ? "nothing to cancel: no job of the campaign is pending or running" : $"cancelled {cancelled.Count} jobs");
        }));
        return command;
    }

    private static Command CreateResubmit()
    {
        var planDir = PlanOption();
        var command = new Command("resubmit", "submit again the clusters that are not done (failed, cancelled, gone), step by step: one array per step and chunk with only those indexes (sbatch --array=LIST), each after the arrays resubmitted for earlier steps (afterok); appended to PLAN/slurm/jobs.json. Refused while clusters are pending or running")
        {
            planDir,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var added = SlurmCampaign.Resubmit(parse.GetValue(planDir)!.FullName, new SlurmClient());
            foreach (var job in added)
                Console.WriteLine($"{job.Step} clusters {string.Join(',', job.Clusters)}: job {job.JobId}{(job.DependsOn.Count > 0 ? " (afterok:" + string.Join(':', job.DependsOn) + ")" : "")}");
            Console.WriteLine(added.Count == 0 ? "nothing to resubmit: every cluster is done" : $"resubmitted {added.Count} arrays (submission {added[0].Submission})");
        }));
        return command;
    }

    private static Command CreateSubmit()
    {
        var planDir = new Option<DirectoryInfo>("--plan") { Description = "the plan directory (imagecore plan); the scripts go to PLAN/slurm/STEP-CCC.sbatch, the logs to PLAN/slurm/logs", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "data directory, as given to imagecore plan", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "output directory, as given to imagecore plan", Required = true };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition (default: the cluster's default partition)" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per array task, which runs its cluster with as many --threads; Slurm's task/affinity plugin binds each task to its CPUs (sbatch has no --cpu-bind, and imagecore pins nothing beyond Slurm's binding)", DefaultValueFactory = _ => 1 };
        var mem = new Option<int?>("--mem-per-cpu") { Description = "memory per CPU in MB (default: the cluster's DefMemPerCPU)" };
        var maxParallel = new Option<int?>("--max-parallel") { Description = "at most this many tasks of each array at once (--array=0-N%M; default: no limit)" };
        var maxArray = new Option<int>("--max-array-size") { Description = "largest job array; a step with more clusters is split into several arrays (Slurm's MaxArraySize, 1001 by default)", DefaultValueFactory = _ => 1001 };
        var exe = new Option<string?>("--imagecore") { Description = "the imagecore executable the jobs run (default: this one)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the scripts and the sbatch commands (job ids as $JOB_STEP_CHUNK) and write nothing" };
        var command = new Command("submit", "write one sbatch script per step (and chunk of at most --max-array-size clusters) and submit them in order, each step's arrays after all of the previous step's (afterok); records the job ids in PLAN/slurm/jobs.json")
        {
            planDir, data, output, partition, cpus, mem, maxParallel, maxArray, exe, dryRun,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string plan = parse.GetValue(planDir)!.FullName;
            string dataDir = parse.GetValue(data)!.FullName, outDir = parse.GetValue(output)!.FullName;
            var summary = PlanDirectory.ReadSummary(plan);
            if (Path.GetFullPath(summary.Data) != dataDir || Path.GetFullPath(summary.Output) != outDir)
                throw new ArgumentException($"the plan in {plan} reads {summary.Data} and writes {summary.Output}, not --data {dataDir} and --out {outDir}");
            var config = new SlurmSubmitConfig
            {
                Executable = Path.GetFullPath(parse.GetValue(exe) ?? Environment.ProcessPath ?? throw new ArgumentException("this executable's path is unknown: give --imagecore PATH")),
                Data = dataDir,
                Output = outDir,
                Partition = parse.GetValue(partition),
                CpusPerTask = parse.GetValue(cpus),
                MemPerCpuMb = parse.GetValue(mem),
                MaxParallel = parse.GetValue(maxParallel),
                MaxArraySize = parse.GetValue(maxArray),
            };
            var jobs = SlurmScripts.Build(plan, summary, config);
            if (jobs.Count == 0) throw new ArgumentException($"the plan in {plan} has no clusters");
            if (parse.GetValue(dryRun))
            {
                foreach (var job in jobs)
                {
                    Console.WriteLine($"# {job.ScriptPath}");
                    Console.Write(job.Script);
                    Console.WriteLine();
                }
                foreach (var job in jobs) Console.WriteLine(SlurmScripts.DryRunLine(job));
                return;
            }
            if (SlurmJobsFile.Read(plan).Count > 0)
                throw new InvalidOperationException($"a campaign was already submitted from {plan} ({SlurmScripts.JobsPath(plan)}); use imagecore slurm status, cancel and resubmit on it, or remove that file to start another");
            Submit(plan, jobs);
        }));
        return command;
    }

    private static void Submit(string plan, IReadOnlyList<SlurmArrayJob> jobs)
    {
        Directory.CreateDirectory(SlurmScripts.LogDirectory(plan));
        foreach (var job in jobs) File.WriteAllText(job.ScriptPath, job.Script);
        var client = new SlurmClient();
        var ids = new Dictionary<SlurmArrayJob, string>(ReferenceEqualityComparer.Instance);
        var submitted = new List<string>();
        foreach (var job in jobs)
        {
            var args = SlurmScripts.SbatchArguments(job, [.. job.DependsOn.Select(d => ids[d])]);
            string id = client.Submit(args);
            ids[job] = id;
            submitted.Add(id);
            SlurmScripts.WriteJobs(plan, jobs, submitted);   // after every submission, so a failure leaves the submitted ones recorded
            Console.WriteLine($"{job.Step} clusters {job.Offset}-{job.Offset + job.Count - 1}: job {id}{(job.DependsOn.Count > 0 ? " (afterok:" + string.Join(':', job.DependsOn.Select(d => ids[d])) + ")" : "")}");
        }
        Console.WriteLine($"jobs: {SlurmScripts.JobsPath(plan)}");
    }
}
