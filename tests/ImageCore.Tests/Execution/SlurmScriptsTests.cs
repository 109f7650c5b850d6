using System.Text.Json;
using ImageCore.Execution;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class SlurmScriptsTests
{
    private static readonly ClusterPlanSummary Summary = new(ClusterPlan.FormatVersion, "/d", "/o", 15, "detector", 40,
        [new ClusterStepSummary("isr", 5, 30), new ClusterStepSummary("warp", 2, 8), new ClusterStepSummary("coadd", 3, 2)], []);

    private static SlurmSubmitConfig Config(int maxArraySize = 1001, int? maxParallel = null) => new()
    {
        Executable = "/opt/bin/imagecore", Data = "/d", Output = "/o", CpusPerTask = 4, MaxArraySize = maxArraySize, MaxParallel = maxParallel,
    };

    [Fact]
    public void One_array_per_step_when_the_arrays_fit()
    {
        var jobs = SlurmScripts.Build("/p", Summary, Config(maxParallel: 3));
        Assert.Equal(["isr", "warp", "coadd"], jobs.Select(j => j.Step));
        Assert.Equal([5, 2, 3], jobs.Select(j => j.Count));
        Assert.All(jobs, j => Assert.Equal(0, j.Offset));
        Assert.Equal(Path.Combine("/p", "slurm", "isr-000.sbatch"), jobs[0].ScriptPath);
        Assert.Contains("#SBATCH --array=0-4%3\n", jobs[0].Script);
        Assert.Contains("#SBATCH --job-name=imagecore-warp\n", jobs[1].Script);
        Assert.Contains("#SBATCH --cpus-per-task=4\n", jobs[2].Script);
        Assert.Contains("#SBATCH --output=/p/slurm/logs/coadd-%A_%a.out\n", jobs[2].Script);
        Assert.Contains("set -euo pipefail\n", jobs[0].Script);
        Assert.DoesNotContain("--mem-per-cpu", jobs[0].Script);
        Assert.DoesNotContain("--partition", jobs[0].Script);
        Assert.Contains("exec '/opt/bin/imagecore' run --data '/d' --out '/o' --plan '/p' --cluster \"isr:${index}\" --threads \"${SLURM_CPUS_PER_TASK}\"\n", jobs[0].Script);
        Assert.Empty(jobs[0].DependsOn);
        Assert.Same(jobs[0], Assert.Single(jobs[1].DependsOn));
        Assert.Same(jobs[1], Assert.Single(jobs[2].DependsOn));
    }

    [Fact]
    public void Steps_larger_than_an_array_are_chunked_and_the_next_step_waits_for_every_chunk()
    {
        var jobs = SlurmScripts.Build("/p", Summary, Config(maxArraySize: 2) with { MemPerCpuMb = 2000, Partition = "batch" });
        Assert.Equal(["isr-0-0-2", "isr-1-2-2", "isr-2-4-1", "warp-0-0-2", "coadd-0-0-2", "coadd-1-2-1"],
                     jobs.Select(j => $"{j.Step}-{j.Chunk}-{j.Offset}-{j.Count}"));
        Assert.Equal(Path.Combine("/p", "slurm", "isr-002.sbatch"), jobs[2].ScriptPath);
        Assert.Contains("#SBATCH --array=0-0\n", jobs[2].Script);
        Assert.Contains("index=$((SLURM_ARRAY_TASK_ID + 4))\n", jobs[2].Script);
        Assert.Contains("#SBATCH --mem-per-cpu=2000\n", jobs[0].Script);
        Assert.Contains("#SBATCH --partition=batch\n", jobs[0].Script);
        Assert.Equal(jobs.Take(3), jobs[3].DependsOn);
        Assert.All(jobs.Skip(4), j => Assert.Same(jobs[3], Assert.Single(j.DependsOn)));

        Assert.Equal("JOB_isr_0=$(sbatch --parsable '/p/slurm/isr-000.sbatch')", SlurmScripts.DryRunLine(jobs[0]));
        Assert.Equal("JOB_warp_0=$(sbatch --parsable --dependency=afterok:$JOB_isr_0:$JOB_isr_1:$JOB_isr_2 '/p/slurm/warp-000.sbatch')", SlurmScripts.DryRunLine(jobs[3]));
        Assert.Equal(["--parsable", "--dependency=afterok:7:8:9", jobs[3].ScriptPath], SlurmScripts.SbatchArguments(jobs[3], ["7", "8", "9"]));
        Assert.Throws<ArgumentException>(() => SlurmScripts.SbatchArguments(jobs[3], ["7"]));
    }

    [Fact]
    public void A_step_without_clusters_is_skipped_and_bad_settings_are_refused()
    {
        var summary = Summary with { Steps = [new("isr", 2, 2), new("warp", 0, 0), new("coadd", 1, 1)] };
        var jobs = SlurmScripts.Build("/p", summary, Config());
        Assert.Equal(["isr", "coadd"], jobs.Select(j => j.Step));
        Assert.Same(jobs[0], Assert.Single(jobs[1].DependsOn));
        Assert.Throws<ArgumentException>(() => SlurmScripts.Build("/p", Summary, Config(maxArraySize: 0)));
        Assert.Throws<ArgumentException>(() => SlurmScripts.Build("/p", Summary, Config() with { CpusPerTask = 0 }));
        Assert.Throws<ArgumentException>(() => SlurmScripts.Build("/p", Summary, Config(maxParallel: 0)));
        Assert.Throws<ArgumentException>(() => SlurmScripts.Build("/my plan", Summary, Config()));
    }

    [Fact]
    public void Job_ids_are_parsed_and_recorded()
    {
        Assert.Equal("42", SlurmScripts.ParseJobId("42\n"));
        Assert.Equal("42", SlurmScripts.ParseJobId("42;cluster\n"));
        Assert.Throws<FormatException>(() => SlurmScripts.ParseJobId("sbatch: error"));
        Assert.Equal("'it'\\''s'", SlurmScripts.Quote("it's"));

        using var dir = new TempDir();
        var jobs = SlurmScripts.Build(dir.Path, Summary, Config(maxArraySize: 3));
        SlurmScripts.WriteJobs(dir.Path, jobs, ["10", "11", "12"]);
        using var json = JsonDocument.Parse(File.ReadAllText(SlurmScripts.JobsPath(dir.Path)));
        var entries = json.RootElement.GetProperty("jobs");
        Assert.Equal(3, entries.GetArrayLength());
        Assert.Equal("isr", entries[1].GetProperty("step").GetString());
        Assert.Equal(3, entries[1].GetProperty("offset").GetInt32());
        Assert.Equal(2, entries[1].GetProperty("count").GetInt32());
        Assert.Equal("11", entries[1].GetProperty("jobId").GetString());
        Assert.Equal("warp", entries[2].GetProperty("step").GetString());
    }
}
