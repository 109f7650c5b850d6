using System.CommandLine;
using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Cli;

/// <summary><c>imagecore isr --raw FILE --calibs DIR --out FILE [--config FILE.json] [--threads N]</c>.</summary>
internal static class IsrCommand
{
    public static Command Create()
    {
        var raw = new Option<FileInfo>("--raw") { Description = "raw detector file (LSSTCam layout)", Required = true };
        var calibs = new Option<DirectoryInfo>("--calibs") { Description = "calibration directory (bias/, dark/, flat/BAND/, crosstalk/, linearity/, amps/, optional defects/)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "post-ISR exposure to write (afw layout)", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "IsrConfig as JSON (steps to switch off, overscan settings, \"AmplifierParameters\": \"Camera\" for the camera model's gains)" };
        var threads = new Option<int>("--threads")
        {
            Description = "threads for the per-amplifier work and for reading the calibrations meanwhile (default: all cores)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var command = new Command("isr", "Instrument signature removal of one raw detector file") { raw, calibs, output, config, threads };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = parse.GetValue(config) is { } file ? ReadConfig(file) : new IsrConfig();
            int n = parse.GetValue(threads);
            if (n < 1) throw new ArgumentException($"--threads must be >= 1 (is {n})");
            using var rawFile = FitsFile.Open(parse.GetValue(raw)!.FullName);
            using var exposure = IsrTask.Run(rawFile, CameraModel.LsstCam, new CalibrationDirectory(parse.GetValue(calibs)!.FullName), cfg, n);
            ExposureFits.Write(parse.GetValue(output)!.FullName, exposure);
        }));
        return command;
    }

    /// <summary>The <see cref="IsrConfig"/> a JSON file gives (<see cref="IsrConfigJson"/>), checked; <c>--config</c> of
    /// <c>isr</c> and <c>--isr-config</c> of <c>run</c>.</summary>
    /// <exception cref="ArgumentException">Not JSON, a misspelt or mistyped name, a value out of range, or null; the
    /// message starts with the file's path.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IsrConfig ReadConfig(FileInfo file)
    {
        try { return IsrConfigJson.Read(File.ReadAllText(file.FullName)) ?? throw new ArgumentException($"{file.FullName}: empty configuration"); }
        catch (JsonException e) { throw new ArgumentException($"{file.FullName}: {e.Message}"); }
        catch (ConfigException e) { throw new ArgumentException($"{file.FullName}: {e.Message}", e); }
    }
}
