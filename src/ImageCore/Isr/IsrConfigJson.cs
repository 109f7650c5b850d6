using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Isr;

/// <summary>
/// An <see cref="IsrConfig"/> from a JSON configuration file (<c>imagecore isr --config</c>): the values the file gives
/// over the defaults, names in any case, unknown names refused, enumerations by name; then checked with
/// <see cref="IsrConfig.Validate"/>, so that a section set to null (<c>{"Flat": null}</c>) or a value out of range is
/// refused by its name.
/// </summary>
public static class IsrConfigJson
{
    /// <summary>The configuration <paramref name="json"/> describes, or null for a JSON null. The given values are merged
    /// into the defaults written out in full before they are read back, because source-generated metadata sets every
    /// init-only property it constructs with, so a value the file leaves out would otherwise become 0 instead of its
    /// default.</summary>
    /// <exception cref="JsonException">Not JSON, not an object, a repeated or unknown name, or a value of the wrong type
    /// (the message gives its JSON path).</exception>
    /// <exception cref="ConfigException">A null section or a value out of its range, named (<c>IsrConfig.Flat</c>).</exception>
    public static IsrConfig? Read(string json)
    {
        var config = ConfigJson.Read(json, new IsrConfig(), IsrConfigJsonContext.Default.IsrConfig, "an ISR configuration");
        config?.Validate();
        return config;
    }
}

/// <summary>Source-generated JSON metadata for an ISR configuration file: names in any case, unknown names refused,
/// enumerations by name.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UseStringEnumConverter = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(IsrConfig))]
internal sealed partial class IsrConfigJsonContext : JsonSerializerContext;
