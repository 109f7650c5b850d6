using System.CommandLine;
using ImageCore.Astrometry;
using ImageCore.Warp;

namespace ImageCore.Cli;

/// <summary><c>imagecore warp --in FILE --out FILE (--like REF.fits | --tract T --patch P) [--kernel K] [--interp-length N] [--threads N]</c>.</summary>
internal static class WarpCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo>("--in") { Description = "an ImageCore exposure, or a single-image FITS file with a celestial WCS", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "warped exposure to write (afw layout)", Required = true };
        var like = new Option<FileInfo?>("--like") { Description = "take the output grid (NAXIS1/2 and WCS) from this file's header" };
        var tract = new Option<int?>("--tract") { Description = "sky-map tract (lsst_cells_v1, binned as the input's SIMSCALE says, as imagecore run does) of the output grid, with --patch" };
        var patch = new Option<int?>("--patch") { Description = "sequential patch id within the tract (y * patches-per-row + x); the grid is its outer box" };
        var kernel = new Option<string>("--kernel") { Description = "lanczosN, bilinear or nearest", DefaultValueFactory = _ => "lanczos3" };
        var interp = new Option<int>("--interp-length") { Description = "exact transform every N destination pixels, bilinear between", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "row bands run on up to this many threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("warp", "Warp an exposure or image onto another grid (Lanczos by default, as Rubin's makeDirectWarp)")
        {
            input, output, like, tract, patch, kernel, interp, threads,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var likeFile = parse.GetValue(like);
            int? t = parse.GetValue(tract), p = parse.GetValue(patch);
            if ((likeFile is null) == (t is null || p is null) || (t is null) != (p is null))
                throw new ArgumentException("give either --like REF.fits, or both --tract and --patch");
            int n = parse.GetValue(threads);
            if (n < 1) throw new ArgumentException($"--threads must be >= 1 (is {n})");
            var target = likeFile is not null ? WarpTarget.Like(likeFile.FullName) : WarpTarget.PatchFor(parse.GetValue(input)!.FullName, new SkyMapConfig(), t!.Value, p!.Value);
            var config = new WarpConfig { Kernel = parse.GetValue(kernel)!, InterpLength = parse.GetValue(interp) };
            long good = WarpTask.Run(parse.GetValue(input)!.FullName, parse.GetValue(output)!.FullName, target, config, n);
            Console.WriteLine($"{good} good pixels of {(long)target.Width * target.Height} on {target.Description}");
        }));
        return command;
    }
}
