using ImageCore.Images;
using Xunit.Abstractions;

namespace ImageCore.Tests.Architecture;

/// <summary>
/// The library's one-way flow (docs/architecture.md, "Layers"), enforced on the compiled assembly: a namespace may use
/// only namespaces of lower layers. Layers, lowest first; namespaces in one layer may not use each other.
/// </summary>
public class LayeringTests(ITestOutputHelper output)
{
    /// <summary>The layers, lowest first ("" is the root namespace ImageCore: ConfigException and its checks).</summary>
    internal static readonly string[][] Layers =
    [
        ["", "Memory", "Simd", "Geometry"],
        ["Fits"],
        ["Astrometry"],
        ["Psf"],
        ["Images"],
        ["Camera"],
        ["Isr"],
        ["Characterize", "Simulation"],
        ["Warp"],
        ["Coadd"],
        ["Execution"],
    ];

    internal static int LayerOf(string stage)
    {
        for (int i = 0; i < Layers.Length; i++)
            if (Layers[i].Contains(stage)) return i;
        throw new InvalidOperationException($"namespace ImageCore.{stage} is in no layer: add it to LayeringTests.Layers and docs/architecture.md");
    }

    /// <summary>The edges that break the layering.</summary>
    internal static List<string> BackEdges(Dictionary<(string From, string To), string> edges) =>
        edges.Where(e => LayerOf(e.Key.To) >= LayerOf(e.Key.From))
             .Select(e => $"{Name(e.Key.From)} -> {Name(e.Key.To)} (layer {LayerOf(e.Key.From)} -> {LayerOf(e.Key.To)}), e.g. {e.Value}")
             .OrderBy(s => s, StringComparer.Ordinal).ToList();

    private static string Name(string stage) => stage.Length == 0 ? "ImageCore" : "ImageCore." + stage;

    [Fact]
    public void Every_namespace_uses_only_lower_layers()
    {
        var edges = NamespaceDependencies.Edges(typeof(Exposure).Assembly, t => NamespaceDependencies.StageUnder(t, "ImageCore."));
        foreach (var e in edges.OrderBy(e => LayerOf(e.Key.From)).ThenBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
            output.WriteLine($"{Name(e.Key.From)} -> {Name(e.Key.To)}");
        Assert.True(edges.Count > 20, "the dependency reader found almost nothing: it is broken");
        var back = BackEdges(edges);
        Assert.True(back.Count == 0, "namespace dependencies against the layering (docs/architecture.md):\n" + string.Join("\n", back));
    }

    [Fact]
    public void A_back_edge_in_a_signature_or_a_method_body_is_found()
    {
        // The probe types below sit in stages named like the library's; each reaches up the layers in one way.
        var library = typeof(Exposure).Assembly;
        var edges = NamespaceDependencies.Edges(typeof(LayeringTests).Assembly,
            t => t.Assembly == library ? NamespaceDependencies.StageUnder(t, "ImageCore.") : NamespaceDependencies.StageUnder(t, "ImageCore.Tests.LayeringProbe."));
        var back = BackEdges(edges);
        output.WriteLine(string.Join("\n", back));
        Assert.Contains(back, b => b.StartsWith("ImageCore.Fits -> ImageCore.Images", StringComparison.Ordinal));
        Assert.Contains(back, b => b.StartsWith("ImageCore.Memory -> ImageCore.Warp", StringComparison.Ordinal));
        Assert.Contains(back, b => b.StartsWith("ImageCore.Geometry -> ImageCore.Coadd", StringComparison.Ordinal));
        Assert.DoesNotContain(back, b => b.StartsWith("ImageCore.Coadd ->", StringComparison.Ordinal));
    }
}
