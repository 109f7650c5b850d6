using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
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
            var cfg = new IsrConfig();
            if (parse.GetValue(config) is { } file)
            {
                try { cfg = ReadConfig(File.ReadAllText(file.FullName)) ?? throw new ArgumentException($"{file.FullName}: empty configuration"); }
                catch (JsonException e) { throw new ArgumentException($"{file.FullName}: {e.Message}"); }
                catch (ConfigException e) { throw new ArgumentException($"{file.FullName}: {e.Message}", e); }
            }
            int n = parse.GetValue(threads);
            if (n < 1) throw new ArgumentException($"--threads must be >= 1 (is {n})");
            using var rawFile = FitsFile.Open(parse.GetValue(raw)!.FullName);
            using var exposure = IsrTask.Run(rawFile, CameraModel.LsstCam, new CalibrationDirectory(parse.GetValue(calibs)!.FullName), cfg, n);
            ExposureFits.Write(parse.GetValue(output)!.FullName, exposure);
        }));
        return command;
    }

    /// <summary>An ISR configuration from JSON: the values it gives over the defaults (names in any case, unknown names
    /// refused, enumerations by name), checked (<see cref="IsrConfig.Validate"/>), or null for a JSON null. The given
    /// values are merged into the defaults written out in full before they are read back, because source-generated
    /// metadata sets every init-only property it constructs with, so a value the file leaves out would otherwise become
    /// 0 instead of its default. A section given as null (<c>{"Flat": null}</c>) is refused by name.</summary>
    /// <exception cref="JsonException">Not JSON, not an object, a repeated or unknown name or a value of the wrong type
    /// (the message gives its JSON path).</exception>
    /// <exception cref="ConfigException">A null section or a value out of its range, named (<c>IsrConfig.Flat</c>).</exception>
    internal static IsrConfig? ReadConfig(string json)
    {
        IsrConfig? config;
        try
        {
            var given = JsonNode.Parse(json);
            if (given is null) return null;
            if (given is not JsonObject values) throw new JsonException("an ISR configuration is a JSON object");
            var merged = JsonSerializer.SerializeToNode(new IsrConfig(), IsrConfigJsonContext.Default.IsrConfig)!.AsObject();
            Merge(merged, values);
            config = merged.Deserialize(IsrConfigJsonContext.Default.IsrConfig);
        }
        catch (ArgumentException e)
        {
            // JsonObject refuses a name given twice with an ArgumentException: a malformed file like any other.
            throw new JsonException(e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException(e.Message, e);
        }
        config?.Validate();
        return config;
    }

    /// <summary>Puts <paramref name="values"/> into <paramref name="defaults"/>: objects member by member, names
    /// matched in any case, anything else replaced.</summary>
    private static void Merge(JsonObject defaults, JsonObject values)
    {
        foreach (var (name, value) in values)
        {
            string? known = defaults.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (known is not null && defaults[known] is JsonObject inner && value is JsonObject innerValues)
            {
                Merge(inner, innerValues);
                continue;
            }
            if (known is not null) defaults.Remove(known);
            defaults[name] = value?.DeepClone();
        }
    }
}

/// <summary>Source-generated JSON metadata for an ISR configuration file: names in any case, unknown names refused,
/// enumerations by name.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UseStringEnumConverter = true,
                                                            UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IsrConfig))]
internal sealed partial class IsrConfigJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
