using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace ImageCore.Execution;

/// <summary>
/// Which data a quantum works on, as Rubin's data ids: (visit, detector) for ISR, (tract, patch, visit) for a direct
/// warp, (tract, patch) for a coadd. Keys a quantum does not have are null (and left out of the graph's JSON).
/// </summary>
/// <param name="Visit">The visit (exposure) number.</param>
/// <param name="Detector">The detector's id in the camera.</param>
/// <param name="DetectorName">The detector's name (<c>R22_S11</c>), which names its files.</param>
/// <param name="Tract">The sky map's tract.</param>
/// <param name="Patch">The patch's sequential index in its tract (<c>y * patchesX + x</c>).</param>
[JsonConverter(typeof(DataIdJsonConverter))]
public sealed record DataId(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Visit = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Detector = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DetectorName = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Tract = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Patch = null)
{
    /// <summary>The keys it has, as the run's report names quanta: <c>visit 3 detector R22_S11</c>,
    /// <c>tract 9813 patch 45 visit 3</c>, <c>tract 9813 patch 45</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        void Add(string key, object? value)
        {
            if (value is null) return;
            if (text.Length > 0) text.Append(' ');
            text.Append(CultureInfo.InvariantCulture, $"{key} {value}");
        }
        Add("tract", Tract);
        Add("patch", Patch);
        Add("visit", Visit);
        Add("detector", (object?)DetectorName ?? Detector);
        return text.ToString();
    }
}
