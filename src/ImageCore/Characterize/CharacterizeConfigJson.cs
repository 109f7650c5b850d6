using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Characterize;

/// <summary>
/// A <see cref="CharacterizeConfig"/> from a JSON configuration file (<c>imagecore characterize --config</c>, <c>imagecore
/// run --characterize-config</c>): the values the file gives over the defaults (<c>{"Background": {"BinSize": 256}}</c>),
/// names in any case, unknown names refused, enumerations by name; then checked with
/// <see cref="CharacterizeConfig.Validate"/>, so a section set to null or a value out of range is refused by its name.
/// </summary>
public static class CharacterizeConfigJson
{
    /// <summary>The configuration <paramref name="json"/> describes, or null for a JSON null.</summary>
    /// <exception cref="JsonException">Not JSON, not an object, a repeated or unknown name, or a value of the wrong type
    /// (the message gives its JSON path).</exception>
    /// <exception cref="ConfigException">A null section or a value out of its range, named
    /// (<c>CharacterizeConfig.Background.BinSize</c>).</exception>
    public static CharacterizeConfig? Read(string json)
    {
        var config = ConfigJson.Read(json, new CharacterizeConfig(), CharacterizeConfigJsonContext.Default.CharacterizeConfig, "a characterize configuration");
        config?.Validate();
        return config;
    }

    /// <summary>The full configuration as indented JSON (every setting with its value), a file to start from.</summary>
    public static string Write(CharacterizeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return JsonSerializer.Serialize(config, CharacterizeConfigJsonContext.Default.CharacterizeConfig);
    }
}

/// <summary>Source-generated JSON metadata for a characterize configuration file: names in any case, unknown names
/// refused, enumerations by name.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UseStringEnumConverter = true, WriteIndented = true,
                             UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(CharacterizeConfig))]
internal sealed partial class CharacterizeConfigJsonContext : JsonSerializerContext;
