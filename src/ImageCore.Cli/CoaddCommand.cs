using System.CommandLine;
using ImageCore.Coadd;

namespace ImageCore.Cli;

/// <summary><c>imagecore coadd --out FILE [--statistic mean|meanclip|median|comparewarp] [--psf-matched PSFWARP...] [--threads N] WARP...</c>.</summary>
internal static class CoaddCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "coadd to write (afw layout)", Required = true };
        var statistic = new Option<string>("--statistic") { Description = "mean, meanclip, median, or comparewarp (needs --psf-matched)", DefaultValueFactory = _ => "meanclip" };
        var psfMatched = new Option<FileInfo[]>("--psf-matched")
        {
            Description = "with --statistic comparewarp: each WARP's PSF-matched warp, in the same order",
            AllowMultipleArgumentsPerToken = true,
        };
        var threads = new Option<int>("--threads") { Description = "sub-regions run on up to this many threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var warps = new Argument<FileInfo[]>("WARP") { Description = "ImageCore warps or single-image FITS files on one grid", Arity = ArgumentArity.OneOrMore };
        var command = new Command("coadd", "Coadd warps on one grid (MEANCLIP by default, as Rubin's assembleCoadd)") { output, statistic, psfMatched, threads, warps };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int n = parse.GetValue(threads);
            if (n < 1) throw new ArgumentException($"--threads must be >= 1 (is {n})");
            var stat = ParseStatistic(parse.GetValue(statistic));
            var inputs = parse.GetValue(warps)!.Select(f => f.FullName).ToList();
            var matched = (parse.GetValue(psfMatched) ?? []).Select(f => f.FullName).ToList();
            if (stat == CoaddStatistic.CompareWarp)
            {
                if (matched.Count != inputs.Count)
                    throw new ArgumentException($"--statistic comparewarp needs one --psf-matched warp per warp ({inputs.Count} warps, {matched.Count} PSF-matched)");
                var result = CompareWarpCoadd.Run(inputs.Zip(matched, (d, m) => new CompareWarpInput(d, m)).ToList(), parse.GetValue(output)!.FullName, new CompareWarpConfig(), n);
                foreach (string skip in result.Used.Skipped) Console.Error.WriteLine($"imagecore: skipped {skip}");
                Console.WriteLine($"coadded {result.Used.Weights.Count(w => w > 0)} of {inputs.Count} warps (COMPAREWARP, {result.Visits.Sum(v => v.ArtifactPixels)} artifact pixels rejected) into {parse.GetValue(output)!.FullName}");
                return;
            }
            if (matched.Count > 0) throw new ArgumentException("--psf-matched is read by --statistic comparewarp only");
            var used = CoaddTask.Run(inputs, parse.GetValue(output)!.FullName, new CoaddConfig { Statistic = stat }, n);
            foreach (string skip in used.Skipped) Console.Error.WriteLine($"imagecore: skipped {skip}");
            Console.WriteLine($"coadded {used.Weights.Count(w => w > 0)} of {inputs.Count} warps ({stat.ToString().ToUpperInvariant()}) into {parse.GetValue(output)!.FullName}");
        }));
        return command;
    }

    /// <summary>The --statistic option's value as a <see cref="CoaddStatistic"/>.</summary>
    public static CoaddStatistic ParseStatistic(string? value) => value switch
    {
        "mean" => CoaddStatistic.Mean,
        "meanclip" => CoaddStatistic.MeanClip,
        "median" => CoaddStatistic.Median,
        "comparewarp" => CoaddStatistic.CompareWarp,
        _ => throw new ArgumentException($"--statistic must be mean, meanclip, median or comparewarp (is '{value}')"),
    };
}
