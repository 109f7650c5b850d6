using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Execution.Rehearsal;

/// <summary>The rehearsal's results as JSON (camelCase, indented; source-generated metadata, so usable in a native AOT build).
/// Infinite numbers are written as the strings <c>"Infinity"</c>.</summary>
internal static class RehearsalJson
{
    /// <summary>Campaigns and, when run, their validation.</summary>
    public static string Serialize(CampaignReport report) => JsonSerializer.Serialize(report, RehearsalJsonContext.Default.CampaignReport);

    /// <summary>A contention sweep with the model's figures.</summary>
    public static string Serialize(ContentionReport report) => JsonSerializer.Serialize(report, RehearsalJsonContext.Default.ContentionReport);

    /// <summary>The model's OR5 figures.</summary>
    public static string Serialize(Or5Prediction prediction) => JsonSerializer.Serialize(prediction, RehearsalJsonContext.Default.Or5Prediction);

    /// <summary>Reads back what <see cref="Serialize(ContentionReport)"/> wrote (the model takes its profiles from it).</summary>
    /// <exception cref="JsonException">Not such a document.</exception>
    public static ContentionReport ReadContention(string json) =>
        JsonSerializer.Deserialize(json, RehearsalJsonContext.Default.ContentionReport) ?? throw new JsonException("the contention report is null");
}

/// <summary>What <c>imagecore rehearse campaign</c> writes: every simulated campaign, the visit-level step's runs, and the
/// validation against real runs (null when not run).</summary>
/// <param name="Campaigns">The night under each (cache, order).</param>
/// <param name="VisitSteps">The night with a visit-level step, per visit and per detector.</param>
/// <param name="Validation">Simulation against real <c>imagecore run</c> campaigns, or null.</param>
public sealed record CampaignReport(IReadOnlyList<CampaignResult> Campaigns, IReadOnlyList<CampaignResult> VisitSteps, CampaignValidationResult? Validation);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
                             NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CampaignReport))]
[JsonSerializable(typeof(ContentionReport))]
[JsonSerializable(typeof(Or5Prediction))]
internal sealed partial class RehearsalJsonContext : JsonSerializerContext;
