using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace ImageCore;

/// <summary>
/// A configuration record from a JSON file: the values the file gives merged over the record's defaults (objects member
/// by member, names in any case), then deserialised with source-generated metadata (which refuses unknown names). The
/// defaults are written out in full first because source-generated metadata sets every init-only property it
/// constructs with, so a value the file leaves out would otherwise become 0 instead of its default. One home for
/// <c>IsrConfigJson</c> and <c>CharacterizeConfigJson</c>.
/// </summary>
internal static class ConfigJson
{
    /// <summary>The configuration <paramref name="json"/> describes over <paramref name="defaults"/>, or null for a JSON
    /// null; <paramref name="what"/> names it in messages ("an ISR configuration").</summary>
    /// <exception cref="JsonException">Not JSON, not an object, a repeated or unknown name, or a value of the wrong type
    /// (the message gives its JSON path).</exception>
    public static T? Read<T>(string json, T defaults, JsonTypeInfo<T> info, string what) where T : class
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var given = JsonNode.Parse(json);
            if (given is null) return null;
            if (given is not JsonObject values) throw new JsonException(what + " is a JSON object");
            var merged = JsonSerializer.SerializeToNode(defaults, info)!.AsObject();
            Merge(merged, values);
            return merged.Deserialize(info);
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
