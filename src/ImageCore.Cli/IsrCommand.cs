using System.CommandLine;
using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Cli;

/// <summary><c>imagecore isr --raw FILE --calibs DIR --out FILE [--config FILE.json]</c>.</summary>
internal static class IsrCommand
{
    public static Command Create()
    {
        var raw = new Option<FileInfo>("--raw") { Description = "raw detector file (LSSTCam layout)", Required = true };
        var calibs = new Option<DirectoryInfo>("--calibs") { Description = "calibration directory (bias/, dark/, flat/BAND/, defects/)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "post-ISR exposure to write (afw layout)", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "IsrConfig as JSON (steps to switch off, overscan settings)" };
        var command = new Command("isr", "Instrument signature removal of one raw detector file") { raw, calibs, output, config };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = new IsrConfig();
            if (parse.GetValue(config) is { } file)
            {
                try
                {
                    cfg = JsonSerializer.Deserialize<IsrConfig>(File.ReadAllText(file.FullName),
                              new JsonSerializerOptions { PropertyNameCaseInsensitive = true, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
                                                          Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } })
                          ?? throw new ArgumentException($"{file.FullName}: empty configuration");
                }
                catch (JsonException e) { throw new ArgumentException($"{file.FullName}: {e.Message}"); }
            }
            using var rawFile = FitsFile.Open(parse.GetValue(raw)!.FullName);
            using var exposure = IsrTask.Run(rawFile, CameraModel.LsstCam, new CalibrationDirectory(parse.GetValue(calibs)!.FullName), cfg);
            ExposureFits.Write(parse.GetValue(output)!.FullName, exposure);
        }));
        return command;
    }
}
