using System.Text.Json;
using ImageCore.Execution;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

/// <summary>The campaign's bookkeeping without a Slurm: squeue's and jobcomp's lines as Slurm 22.05 prints them
/// (tools/slurm/README.md), jobs.json, and the status each cluster gets from them and its report. The campaign on a real
/// Slurm is tools/slurm/campaign-test.sh (.ci/run).</summary>
public class SlurmCampaignTests
{
    [Fact]
    public void Squeue_lines_give_one_record_per_array_task()
    {
        var records = SlurmAccounting.ParseSqueue("12|0|COMPLETED|13\n12|1|RUNNING|14\n12|2|PENDING|12\n15|N/A|PENDING|15\n\n");
        Assert.Equal([("12", (int?)0, "COMPLETED"), ("12", 1, "RUNNING"), ("12", 2, "PENDING"), ("15", null, "PENDING")],
                     records.Select(r => (r.ArrayJobId, r.Index, r.State)));
        Assert.All(records, r => Assert.Equal("squeue", r.Source));
    }

    [Fact]
    public void Jobcomp_lines_are_split_at_their_keys_and_an_array_cancelled_while_pending_has_one_line()
    {
        const string task = "JobId=3 UserId=root(0) GroupId=root(0) Name=my job.sh JobState=FAILED Partition=local TimeLimit=UNLIMITED " +
                            "StartTime=2026-12-05T00:02:30 EndTime=2026-12-05T00:02:34 NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/a b " +
                            "ReservationName= Tres=cpu=1,mem=11540M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-05T00:02:29 " +
                            "EligibleTime=2026-12-05T00:02:29 ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=3:0";
        const string meta = "JobId=7 UserId=root(0) GroupId=root(0) Name=t.sh JobState=CANCELLED by 0 Partition=local TimeLimit=UNLIMITED " +
                            "StartTime=2026-12-05T00:03:00 EndTime=2026-12-05T00:03:00 NodeList= NodeCnt=0 ProcCnt=0 WorkDir=/tmp ReservationName= Tres= " +
                            "Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-05T00:02:59 EligibleTime=Unknown DerivedExitCode=0:0 ExitCode=0:0";
        var records = SlurmAccounting.ParseJobComp(task + "\n" + meta + "\n");
        Assert.Equal([("1", (int?)1, "FAILED"), ("7", null, "CANCELLED")], records.Select(r => (r.ArrayJobId, r.Index, r.State)));
        Assert.All(records, r => Assert.Equal("jobcomp", r.Source));
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3 }, "0-3")]
    [InlineData(new[] { 5, 0, 1, 7, 8 }, "0,1,5,7,8")]
    [InlineData(new[] { 9, 2, 3, 4, 9 }, "2-4,9")]
    public void Array_lists_are_ranges_where_three_or_more_follow(int[] indexes, string expected) =>
        Assert.Equal(expected, SlurmJobsFile.ArrayList(indexes));

    [Fact]
    public void The_jobs_file_keeps_every_submission_and_reads_the_first_version()
    {
        using var dir = new TempDir();
        SlurmJobsFile.Write(dir.Path, [
            new SlurmJobRecord("isr", 0, 0, 4, "/p/slurm/isr-000.sbatch", "10", [0, 1, 2, 3], 0, []),
            new SlurmJobRecord("isr", 0, 0, 4, "/p/slurm/isr-000.sbatch", "20", [2], 1, []),
            new SlurmJobRecord("coadd", 1, 1001, 5, "/p/slurm/coadd-001.sbatch", "21", [0, 4], 1, ["20"]),
        ]);
        var back = SlurmJobsFile.Read(dir.Path);
        Assert.Equal(["10", "20", "21"], back.Select(j => j.JobId));
        Assert.Equal([1001, 1005], back[2].Clusters);
        Assert.Equal(["20"], back[2].DependsOn);

        File.WriteAllText(SlurmScripts.JobsPath(dir.Path),
            """{"version": 1, "jobs": [{"step": "isr", "chunk": 0, "offset": 0, "count": 3, "script": "/p/s", "jobId": "5"}]}""");
        var v1 = Assert.Single(SlurmJobsFile.Read(dir.Path));
        Assert.Equal([0, 1, 2], v1.Indexes);
        Assert.Equal(0, v1.Submission);
        File.WriteAllText(SlurmScripts.JobsPath(dir.Path), """{"version": 3, "jobs": []}""");
        Assert.Throws<JsonException>(() => SlurmJobsFile.Read(dir.Path));
    }

    [Fact]
    public void A_cluster_is_done_by_its_report_or_task_and_the_latest_submission_decides()
    {
        using var dir = new TempDir();
        var summary = new ClusterPlanSummary(ClusterPlan.FormatVersion, dir.File("d"), dir.File("o"), 15, "detector", 9,
            [new ClusterStepSummary("isr", 6, 6), new ClusterStepSummary("coadd", 2, 2), new ClusterStepSummary("warp", 1, 1)], []);
        var output = new DataRepository(summary.Output);
        void Report(string step, int index, string failures)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output.ClusterReport(step, index))!);
            File.WriteAllText(output.ClusterReport(step, index), $$"""{"failures": [{{failures}}]}""");
        }
        Report("isr", 0, "");                                         // done by its report although Slurm forgot the task
        Report("isr", 1, """{"step": "isr"}""");                      // failed by its report
        Report("isr", 5, "");                                         // done by its report, but its rerun is running
        var jobs = new List<SlurmJobRecord>
        {
            new("isr", 0, 0, 6, "/p/isr-000.sbatch", "10", [0, 1, 2, 3, 4, 5], 0, []),
            new("isr", 0, 0, 6, "/p/isr-000.sbatch", "20", [3, 5], 1, []),
            new("coadd", 0, 0, 2, "/p/coadd-000.sbatch", "11", [0, 1], 0, ["10"]),
        };
        var tasks = new List<SlurmTaskRecord>
        {
            new("10", 2, "COMPLETED", "squeue"),    // no report (nothing left to run): done by Slurm
            new("10", 3, "FAILED", "squeue"),       // replaced by submission 1, where it is pending
            new("20", 3, "PENDING", "squeue"),
            new("20", 5, "RUNNING", "squeue"),
            new("10", 4, "CANCELLED", "jobcomp"),
            new("11", null, "CANCELLED", "jobcomp"),   // the coadd array cancelled while pending (kill-on-invalid-dep)
        };
        var status = SlurmCampaign.Compute(summary, jobs, tasks, ["test"]);
        Assert.Equal([
            ("isr", 0, SlurmClusterState.Done, "report"), ("isr", 1, SlurmClusterState.Failed, "report"), ("isr", 2, SlurmClusterState.Done, "squeue"),
            ("isr", 3, SlurmClusterState.Pending, "squeue"), ("isr", 4, SlurmClusterState.Cancelled, "jobcomp"), ("isr", 5, SlurmClusterState.Running, "squeue"),
            ("coadd", 0, SlurmClusterState.Cancelled, "jobcomp"), ("coadd", 1, SlurmClusterState.Cancelled, "jobcomp"),
            ("warp", 0, SlurmClusterState.NotSubmitted, "jobs.json"),
        ], status.Clusters.Select(c => (c.Step, c.Index, c.State, c.Source)));
        Assert.Equal("20_3", status.Clusters[3].JobId);
        Assert.Equal(new SlurmStepStatus("isr", 6, 2, 1, 1, 1, 1, 0), status.Steps[0]);
        Assert.True(status.Active);
        Assert.False(status.Complete);

        // Once Slurm has forgotten everything: a submitted task with neither a record nor a report was cancelled while
        // pending (Slurm leaves no trace of that), not done.
        var forgotten = SlurmCampaign.Compute(summary, jobs, [], ["test"]);
        Assert.Equal(SlurmClusterState.Cancelled, forgotten.Clusters[2].State);
        Assert.Equal("absent", forgotten.Clusters[2].Source);
        Assert.False(forgotten.Active);
        using var json = JsonDocument.Parse(forgotten.ToJson());
        Assert.Equal("Done", json.RootElement.GetProperty("clusters")[0].GetProperty("state").GetString());
    }
}
