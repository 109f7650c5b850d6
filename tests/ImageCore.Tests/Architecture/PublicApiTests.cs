using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Architecture;

/// <summary>The library's public API is the committed <c>docs/api/ImageCore.txt</c>: a change to the API must change that
/// file too (run the tests with <c>IMAGECORE_ACCEPT_API=1</c> to rewrite it, then review the diff).</summary>
public class PublicApiTests
{
    [Fact]
    public void The_public_api_is_the_committed_list()
    {
        string committed = Path.Combine(Peers.RepoRoot, "docs", "api", "ImageCore.txt");
        string actual = PublicApi.Describe(typeof(Exposure).Assembly);
        if (Environment.GetEnvironmentVariable("IMAGECORE_ACCEPT_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(committed)!);
            File.WriteAllText(committed, actual);
        }
        string expected = File.Exists(committed) ? File.ReadAllText(committed) : "";
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var added = actualLines.Except(expectedLines).Take(40).ToList();
        var removed = expectedLines.Except(actualLines).Take(40).ToList();
        Assert.True(expected == actual,
            "the public API differs from docs/api/ImageCore.txt (rerun with IMAGECORE_ACCEPT_API=1 to accept, then review the diff)\n"
            + "added:\n  " + string.Join("\n  ", added) + "\nremoved:\n  " + string.Join("\n  ", removed));
    }

    [Fact]
    public void Internals_stay_internal()
    {
        var exported = typeof(Exposure).Assembly.GetExportedTypes().Select(t => t.Namespace ?? "").ToHashSet();
        Assert.DoesNotContain("ImageCore.Simd", exported);
        Assert.DoesNotContain("ImageCore.Isr.IsrPixelPass", typeof(Exposure).Assembly.GetExportedTypes().Select(t => t.FullName));
        // Pointers only where they are the point: Plane<T>.Pointer, the aligned memory for native interop.
        foreach (var t in typeof(Exposure).Assembly.GetExportedTypes())
            foreach (var m in t.GetMethods())
                Assert.False((m.ReturnType.IsPointer || m.GetParameters().Any(p => p.ParameterType.IsPointer)) && !(t.Name == "Plane`1" && m.Name == "get_Pointer"),
                             $"{t.FullName}.{m.Name} exposes a pointer");
    }
}
