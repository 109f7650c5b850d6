using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ImageCore.Astrometry;
using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Cli;

/// <summary><c>imagecore characterize --in POSTISR --out FILE [--config FILE.json] [--threads N] [--print-config]</c>: one
/// post-ISR exposure through background, cosmic rays, detection and the PSF model.</summary>
internal static class CharacterizeCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo?>("--in") { Description = "post-ISR exposure (afw layout, as imagecore isr or run writes it)" };
        var output = new Option<FileInfo?>("--out") { Description = "characterized exposure to write: IMAGE, MASK (CR, INTRP, DETECTED), VARIANCE, PSF and BACKGROUND HDUs" };
        var config = new Option<FileInfo?>("--config") { Description = "CharacterizeConfig as JSON (full-scale pixel sizes; a scaled simulation's SIMSCALE scales them); --print-config shows every setting" };
        var threads = new Option<int>("--threads") { Description = "threads for the pixel passes (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var printConfig = new Option<bool>("--print-config") { Description = "print the configuration in effect as JSON and exit" };
        var command = new Command("characterize", "Subtract the background, repair cosmic rays, detect sources and measure the PSF model of one post-ISR exposure")
        {
            input, output, config, threads, printConfig,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = parse.GetValue(config) is { } file ? ReadConfig(file) : new CharacterizeConfig();
            if (parse.GetValue(printConfig))
            {
                Console.WriteLine(CharacterizeConfigJson.Write(cfg));
                return;
            }
            var inFile = parse.GetValue(input) ?? throw new ArgumentException("--in is required: the post-ISR exposure to characterize");
            var outFile = parse.GetValue(output) ?? throw new ArgumentException("--out is required: the characterized exposure to write");
            int n = parse.GetValue(threads);
            if (n < 1) throw new ArgumentException($"--threads must be >= 1 (is {n})");
            using var exposure = ExposureFits.Read(inFile.FullName);
            int scale = SkyMapConfig.ScaleOf(exposure.Metadata);
            var result = CharacterizeTask.Run(exposure, cfg.ForScale(scale), n);
            CharacterizeTask.Write(outFile.FullName, exposure, result.Background);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{outFile.Name}: background {CharacterizeTask.MeanOf(result.Background):F1}, {result.CosmicRays.Hits} cosmic rays ({result.CosmicRays.Pixels} px), PSF FWHM {result.PsfFwhm:F3} px from {result.Psf.Fit.StarsUsed} stars, {result.Detections.Footprints.Count} sources"));
        }));
        return command;
    }

    /// <summary>The <see cref="CharacterizeConfig"/> a JSON file gives (<see cref="CharacterizeConfigJson"/>), checked; <c>--config</c>
    /// of <c>characterize</c> and <c>--characterize-config</c> of <c>run</c>.</summary>
    /// <exception cref="ArgumentException">Not JSON, a misspelt or mistyped name, a value out of range, or null; the message
    /// starts with the file's path.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CharacterizeConfig ReadConfig(FileInfo file)
    {
        try { return CharacterizeConfigJson.Read(File.ReadAllText(file.FullName)) ?? throw new ArgumentException($"{file.FullName}: empty configuration"); }
        catch (JsonException e) { throw new ArgumentException($"{file.FullName}: {e.Message}"); }
        catch (ConfigException e) { throw new ArgumentException($"{file.FullName}: {e.Message}", e); }
    }
}
