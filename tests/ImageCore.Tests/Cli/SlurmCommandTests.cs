using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class SlurmCommandTests
{
    [Fact]
    public void A_dry_run_prints_the_scripts_and_sbatch_commands_and_writes_nothing()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("out"), plan = dir.File("plan");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"plan --data \"{data}\" --out \"{output}\" --plan \"{plan}\" --dry-run --visits 30 --detectors R22");
        Assert.True(code == 0, stderr);

        (code, string stdout, stderr) = InfoCommandTests.Imagecore(
            $"slurm submit --plan \"{plan}\" --data \"{data}\" --out \"{output}\" --cpus-per-task 2 --max-parallel 4 --max-array-size 10 --imagecore /opt/imagecore --dry-run");
        Assert.True(code == 0, stderr);
        Assert.Contains($"# {Path.Combine(plan, "slurm", "isr-001.sbatch")}", stdout);   // 18 ISR clusters in arrays of 10
        Assert.Contains("#SBATCH --array=0-7%4", stdout);
        Assert.Contains("index=$((SLURM_ARRAY_TASK_ID + 10))", stdout);
        Assert.Contains($"exec '/opt/imagecore' run --data '{data}' --out '{output}' --plan '{plan}' --cluster \"isr:${{index}}\" --threads \"${{SLURM_CPUS_PER_TASK}}\"", stdout);
        Assert.Contains("JOB_isr_1=$(sbatch --parsable '", stdout);
        Assert.Contains("JOB_characterize_0=$(sbatch --parsable --dependency=afterok:$JOB_isr_0:$JOB_isr_1 '", stdout);
        Assert.Contains("JOB_warp_0=$(sbatch --parsable --dependency=afterok:$JOB_characterize_0:$JOB_characterize_1 '", stdout);
        Assert.False(Directory.Exists(Path.Combine(plan, "slurm")));

        (code, _, stderr) = InfoCommandTests.Imagecore($"slurm submit --plan \"{plan}\" --data \"{data}\" --out \"{dir.File("elsewhere")}\" --dry-run");
        Assert.Equal(1, code);
        Assert.Contains("--out", stderr);
    }

    [Fact]
    public void Report_merge_of_a_plan_nothing_ran_for_counts_no_report_and_slurm_commands_say_what_they_need()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("out"), plan = dir.File("plan");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"plan --data \"{data}\" --out \"{output}\" --plan \"{plan}\" --dry-run --visits 3 --detectors R22_S11");
        Assert.True(code == 0, stderr);
        (code, string stdout, stderr) = InfoCommandTests.Imagecore($"report merge --plan \"{plan}\" --out \"{dir.File("merged.json")}\"");
        Assert.True(code == 0, stderr);
        Assert.Contains("isr: 0/1 cluster reports", stdout);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("merged.json")));
        Assert.Equal(0, json.RootElement.GetProperty("reports").GetInt32());

        (code, _, stderr) = InfoCommandTests.Imagecore($"report merge --plan \"{dir.File("nothing")}\"");
        Assert.Equal(1, code);
        Assert.Contains("plan.json", stderr);
        foreach (string sub in new[] { "status", "cancel", "resubmit" })
        {
            (code, stdout, _) = InfoCommandTests.Imagecore($"slurm {sub} --help");
            Assert.Equal(0, code);
            Assert.Contains("--plan", stdout);
        }
    }
}
