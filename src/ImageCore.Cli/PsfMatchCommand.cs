using System.CommandLine;
using System.Globalization;
using ImageCore.Warp;

namespace ImageCore.Cli;

/// <summary><c>imagecore psfmatch --in WARP --out FILE [--fwhm PX] [--kernel-size N] [--threads N]</c>: one direct warp
/// matched to the model PSF (<see cref="PsfMatchedWarp"/>).</summary>
internal static class PsfMatchCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo>("--in") { Description = "a direct warp of characterized exposures (it carries their CoaddPsf)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "PSF-matched warp to write (same grid; its PSF the model)", Required = true };
        var fwhm = new Option<double?>("--fwhm") { Description = "model PSF FWHM, pixels (default 9.0, LSSTCam's; a double Gaussian as Rubin's GaussianPsfFactory)" };
        var kernelSize = new Option<int?>("--kernel-size") { Description = "matching kernel size, pixels, odd (default 41, LSSTCam's)" };
        var threads = new Option<int>("--threads") { Description = "row bands run on up to this many threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("psfmatch", "Match a direct warp's PSF to the model PSF, detector by detector (Rubin's makePsfMatchedWarp)")
        {
            input, output, fwhm, kernelSize, threads,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int n = parse.GetValue(threads);
            if (n < 1) throw new ArgumentException($"--threads must be >= 1 (is {n})");
            var config = new ModelPsfMatchConfig();
            if (parse.GetValue(fwhm) is { } f) config = config with { ModelPsf = config.ModelPsf with { DefaultFwhm = f } };
            if (parse.GetValue(kernelSize) is { } k) config = config with { KernelSize = k };
            string outPath = parse.GetValue(output)!.FullName;
            var result = PsfMatchedWarp.Run(parse.GetValue(input)!.FullName, outPath, config, n);
            foreach (var d in result.Detectors.Where(d => d.ScienceWiderThanModel))
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"imagecore: warning: detector {d.Detector}: its PSF (FWHM up to {d.Match.MaxScienceFwhm:F2} px) is wider than the model ({d.Match.ModelFwhm:F2} px); matched as well as it can be"));
            Console.WriteLine(result.GoodPixels == 0
                ? $"no good PSF-matched pixel: nothing written"
                : string.Create(CultureInfo.InvariantCulture,
                    $"matched {result.Detectors.Count} detectors to a {result.ModelPsf.ComputeFwhm(0, 0):F2} px model PSF, {result.GoodPixels} good pixels, into {outPath}"));
        }));
        return command;
    }
}
