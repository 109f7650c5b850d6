using System.CommandLine;
using ImageCore.Simulation;

namespace ImageCore.Cli;

/// <summary><c>imagecore simulate --out DIR [--visits N] [--detectors ...] [--scale S] [--seed S] [--band B] [--seeing FWHM]
/// [--seeing-gradient G] [--transients]</c>.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new SimulationConfig();
        var outDir = new Option<DirectoryInfo>("--out") { Description = "directory to write the repository into", Required = true };
        var visits = new Option<int>("--visits") { Description = "number of visits", DefaultValueFactory = _ => defaults.Visits };
        var detectors = new Option<string>("--detectors") { Description = "all, a raft (R22) or detector names (R22_S11,R01_S00)", DefaultValueFactory = _ => defaults.Detectors };
        var scale = new Option<int>("--scale") { Description = "shrink every amplifier dimension by 1, 2, 4 or 8", DefaultValueFactory = _ => defaults.Scale };
        var seed = new Option<int>("--seed") { Description = "random seed: the same seed writes the same files", DefaultValueFactory = _ => defaults.Seed };
        var band = new Option<string>("--band") { Description = "filter band (u g r i z y)", DefaultValueFactory = _ => defaults.Band };
        var seeing = new Option<double?>("--seeing") { Description = "median seeing FWHM, arcsec (each visit draws 0.8-1.2 times it); default 0.8 x --scale, a PSF of about 4 px FWHM at every scale" };
        var gradient = new Option<double>("--seeing-gradient")
        {
            Description = "spatially varying PSF: fractional change of the FWHM per 320 mm of focal plane, 0..0.9", DefaultValueFactory = _ => defaults.SeeingGradient,
        };
        var transients = new Option<bool>("--transients")
        {
            Description = "add satellite trails (half the visits), an asteroid and a variable star; their truth in truth/transients.json",
        };
        var command = new Command("simulate", "Write simulated LSSTCam raws, master calibrations and truth") { outDir, visits, detectors, scale, seed, band, seeing, gradient, transients };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var config = defaults with
            {
                Visits = parse.GetValue(visits), Detectors = parse.GetValue(detectors)!, Scale = parse.GetValue(scale),
                Seed = parse.GetValue(seed), Band = parse.GetValue(band)!, SeeingFwhmArcsec = parse.GetValue(seeing),
                SeeingGradient = parse.GetValue(gradient), Transients = parse.GetValue(transients) ? new TransientConfig() : null,
            };
            string dir = parse.GetValue(outDir)!.FullName;
            var result = Simulator.Run(dir, config, progress: new Progress<string>(_ => { }));
            Console.WriteLine($"wrote {result.Raws.Count} raw files, {result.Calibrations.Count} calibration files and {result.Truth.Count} truth files under {dir}");
        }));
        return command;
    }
}
