using System.CommandLine;
using ImageCore.Execution;

namespace ImageCore.Cli;

/// <summary><c>imagecore report merge --plan DIR [--out FILE]</c>: one report for a campaign run cluster by cluster
/// (<see cref="MergedReport.Merge"/>).</summary>
internal static class ReportCommand
{
    public static Command Create() => new("report", "reports of runs") { CreateMerge() };

    private static Command CreateMerge()
    {
        var planDir = new Option<DirectoryInfo>("--plan") { Description = "the plan directory (imagecore plan) whose clusters ran (imagecore run --plan --cluster, or imagecore slurm submit)", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "write the merged report here (default: OUTPUT/campaign-report.json, beside the plan's outputs)" };
        var command = new Command("merge", "merge the per-cluster reports (OUTPUT/reports/STEP/NNNNN.json) into one report for the campaign: per step quanta, failures, times and bytes written")
        {
            planDir, output,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var report = MergedReport.Merge(parse.GetValue(planDir)!.FullName);
            string path = parse.GetValue(output)?.FullName ?? Path.Combine(report.Output, "campaign-report.json");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = path + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, report.ToJson());
            File.Move(temp, path, overwrite: true);
            foreach (var s in report.Steps)
                Console.WriteLine($"{s.Name}: {s.Reports}/{s.Clusters} cluster reports, {s.Succeeded}/{s.Quanta} quanta succeeded, {s.Failed} failed, {s.Skipped} skipped, {s.Empty} empty, " +
                                  $"{s.WallSeconds:F1} s wall (slowest cluster {s.MaxClusterWallSeconds:F1} s), {s.CpuSeconds:F1} s CPU, {s.Outputs} files, {s.BytesWritten / 1e6:F1} MB");
            Console.WriteLine($"{report.Failures.Count} failures; span {report.SpanSeconds:F1} s from {report.FirstStarted} to {report.LastEnded}");
            Console.WriteLine($"report: {path}");
        }));
        return command;
    }
}
