using System.Text.Json;
using System.Text.Json.Nodes;
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
        ArgumentNullException.ThrowIfNull(json);
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
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UseStringEnumConverter = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(IsrConfig))]
internal sealed partial class IsrConfigJsonContext : JsonSerializerContext;
