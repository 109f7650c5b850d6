using System.CommandLine;
using ImageCore.Execution;

namespace ImageCore.Cli;

/// <summary><c>imagecore demo [--out DIR] [--threads N]</c>.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "where to put data/, run/ and previews/", DefaultValueFactory = _ => new DirectoryInfo("imagecore-demo") };
        var threads = new Option<int>("--threads") { Description = "quanta run concurrently on up to this many threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("demo", "Simulate several visits of one raft (scaled down), run the whole pipeline on them, write PNG previews") { output, threads };
        command.SetAction(parse =>
        {
            int code = 0;
            int fatal = CliErrors.Run(() =>
            {
                var config = new PipelineConfig { Threads = parse.GetValue(threads) };
                RunCommand.Validate(config);
                string dir = parse.GetValue(output)!.FullName;
                code = RunCommand.WithProgress(
                    cancel => Demo.Run(dir, config, log: new Line(), progress: RunCommand.Progress(), cancel: cancel),
                    result =>
                    {
                        int status = RunCommand.Summarize(result.Report);
                        Console.WriteLine($"simulated data: {result.Data}");
                        Console.WriteLine($"post-ISR exposures, warps, coadds: {result.Run}/postisr, {result.Run}/warp, {result.Run}/coadd");
                        foreach (string png in result.Previews) Console.WriteLine($"preview: {png}");
                        return status;
                    });
            });
            return fatal != 0 ? fatal : code;
        });
        return command;
    }

    private sealed class Line : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(value);
    }
}
