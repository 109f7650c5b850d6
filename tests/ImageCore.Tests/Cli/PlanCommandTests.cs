using System.Text.Json;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Cli;

public class PlanCommandTests
{
    [Fact]
    public void Plans_clusters_and_runs_one_cluster_at_a_time_with_its_own_report()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("out"), plan = dir.File("plan");
        var (code, _, stderr) = InfoCommandTests.Imagecore($"simulate --out \"{data}\" --detectors R22_S11 --scale 8 --visits 2");
        Assert.True(code == 0, stderr);

        (code, string stdout, stderr) = InfoCommandTests.Imagecore($"plan --data \"{data}\" --out \"{output}\" --plan \"{plan}\" --group-size 1 --until isr");
        Assert.True(code == 0, stderr);
        Assert.Contains("2 visit groups of 1 visits", stdout);
        Assert.Contains("isr: 2 clusters, 2 quanta", stdout);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(plan, "plan.json"))))
            Assert.Equal(2, json.RootElement.GetProperty("steps")[0].GetProperty("clusters").GetInt32());

        (code, stdout, stderr) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{output}\" --threads 1 --plan \"{plan}\" --cluster isr:1");
        Assert.True(code == 0, stderr);
        Assert.Contains("cluster isr/00001 (group 1 detector R22_S11): 1 quanta, 0 already done", stdout);
        Assert.True(File.Exists(Path.Combine(output, "reports", "isr", "00001.json")));
        Assert.True(File.Exists(Path.Combine(output, "postisr", "000001", "R22_S11.fits")));
        Assert.False(File.Exists(Path.Combine(output, "postisr", "000000", "R22_S11.fits")));
        Assert.False(File.Exists(Path.Combine(output, "report.json")));

        // A cluster given as a file (its record's first line), as a person running one by hand may keep it.
        string clusterFile = dir.File("isr-1.json");
        File.WriteAllText(clusterFile, File.ReadAllLines(Path.Combine(plan, "clusters", "isr.jsonl"))[2]);
        (code, stdout, stderr) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{output}\" --threads 1 --plan \"{plan}\" --cluster \"{clusterFile}\"");
        Assert.True(code == 0, stderr);
        Assert.Contains("1 already done", stdout);
        Assert.Contains("nothing to do", stdout);

        (code, _, stderr) = InfoCommandTests.Imagecore($"plan --data \"{data}\" --out \"{output}\" --plan \"{plan}\" --cluster patch");
        Assert.Equal(1, code);
        Assert.Contains("--cluster patch", stderr);
        (code, _, stderr) = InfoCommandTests.Imagecore($"run --data \"{data}\" --out \"{dir.File("elsewhere")}\" --plan \"{plan}\" --cluster isr:0");
        Assert.Equal(1, code);
        Assert.Contains("--out", stderr);
    }

    [Fact]
    public void A_dry_run_plans_a_simulated_layout_without_files()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = InfoCommandTests.Imagecore($"plan --data \"{dir.File("none")}\" --out \"{dir.File("out")}\" --plan \"{dir.File("plan")}\" --dry-run --visits 30 --detectors R22");
        Assert.True(code == 0, stderr);
        Assert.Contains("2 visit groups of 15 visits", stdout);
        Assert.Contains("isr: 18 clusters, 270 quanta", stdout);
        Assert.False(Directory.Exists(dir.File("none")));
    }
}
