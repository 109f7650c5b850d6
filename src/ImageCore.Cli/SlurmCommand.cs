using System.CommandLine;
using System.Diagnostics;
using ImageCore.Execution;

namespace ImageCore.Cli;

/// <summary><c>imagecore slurm submit --plan DIR --data DIR --out DIR [--partition P] [--cpus-per-task N] [--mem-per-cpu MB]
/// [--max-parallel N] [--max-array-size N] [--imagecore PATH] [--dry-run]</c>: submits a plan's clusters as Slurm job arrays
/// (<see cref="SlurmScripts"/>).</summary>
internal static class SlurmCommand
{
    public static Command Create() => new("slurm", "run a plan (imagecore plan) on a Slurm cluster as job arrays") { CreateSubmit() };

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
            Submit(plan, jobs);
        }));
        return command;
    }

    private static void Submit(string plan, IReadOnlyList<SlurmArrayJob> jobs)
    {
        Directory.CreateDirectory(SlurmScripts.LogDirectory(plan));
        foreach (var job in jobs) File.WriteAllText(job.ScriptPath, job.Script);
        var ids = new Dictionary<SlurmArrayJob, string>(ReferenceEqualityComparer.Instance);
        var submitted = new List<string>();
        foreach (var job in jobs)
        {
            var args = SlurmScripts.SbatchArguments(job, [.. job.DependsOn.Select(d => ids[d])]);
            string id = SlurmScripts.ParseJobId(Sbatch(args));
            ids[job] = id;
            submitted.Add(id);
            SlurmScripts.WriteJobs(plan, jobs, submitted);   // after every submission, so a failure leaves the submitted ones recorded
            Console.WriteLine($"{job.Step} clusters {job.Offset}-{job.Offset + job.Count - 1}: job {id}{(job.DependsOn.Count > 0 ? " (afterok:" + string.Join(':', job.DependsOn.Select(d => ids[d])) + ")" : "")}");
        }
        Console.WriteLine($"jobs: {SlurmScripts.JobsPath(plan)}");
    }

    private static string Sbatch(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new IOException("sbatch did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot run sbatch: {e.Message} (is Slurm installed and SLURM_CONF set?)", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new IOException($"sbatch {string.Join(' ', args)} failed (exit {process.ExitCode}): {stderr.Result.Trim()}");
            return stdout;
        }
    }
}
