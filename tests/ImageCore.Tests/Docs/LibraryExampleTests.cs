using System.IO.Compression;
using System.Xml.Linq;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Docs;

/// <summary>
/// docs/library.md's end-to-end example, taken from the page as written, compiled as a console app against the library
/// packed as a NuGet package (so it can use nothing but the public API) and run on simulated data; and the package
/// itself: its own README, its symbols, its repository.
/// </summary>
public sealed class LibraryExampleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The C# block that follows <c>&lt;!-- example: end-to-end --&gt;</c> in docs/library.md.</summary>
    internal static string ExampleCode()
    {
        string page = File.ReadAllText(Path.Combine(Peers.RepoRoot, "docs", "library.md"));
        int marker = page.IndexOf("<!-- example: end-to-end -->", StringComparison.Ordinal);
        Assert.True(marker >= 0, "docs/library.md has no end-to-end example marker");
        int start = page.IndexOf("```csharp\n", marker, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = page.IndexOf("\n```", start, StringComparison.Ordinal);
        return page[start..end] + "\n";
    }

    [SkippableFact]
    public void The_documented_example_runs_against_the_packed_package()
    {
        // Data: two visits of one detector at 1/8 scale, as the page's `imagecore simulate` command makes them (seed 1).
        string data = _dir.File("data");
        Simulator.Run(data, new SimulationConfig { Visits = 2, Detectors = "R22_S11", Scale = 8 });

        // The package, under a version of its own so that no cached copy stands in for it.
        string version = $"0.1.0-docs.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string feed = _dir.File("feed");
        string cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                                     ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "imagecore", version);
        try
        {
            var pack = Peers.Run("dotnet", $"pack \"{Path.Combine(Peers.RepoRoot, "src", "ImageCore")}\" -c Release -o \"{feed}\" -p:Version={version} -nologo");
            Assert.True(pack.ExitCode == 0, pack.Stdout + pack.Stderr);
            CheckPackage(Path.Combine(feed, $"ImageCore.{version}.nupkg"), Path.Combine(feed, $"ImageCore.{version}.snupkg"));

            // A new console app: the example as its Program.cs, the package from the local feed only.
            string app = _dir.File("app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ExampleCode());
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="ImageCore" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <packageSourceMapping>
                    <packageSource key="local"><package pattern="ImageCore" /></packageSource>
                    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
                  </packageSourceMapping>
                </configuration>
                """);
            var run = Peers.Run("dotnet", $"run -c Release --project \"{app}\" -- \"{data}\"", app);
            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

            string[] lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Contains("ISR: 2 exposures in electron, band r", lines);
            Assert.Equal(2, lines.Count(l => l.StartsWith("warp of visit ", StringComparison.Ordinal)));
            string patch = lines.Single(l => l.StartsWith("patch: ", StringComparison.Ordinal));
            var size = patch[(patch.LastIndexOf(',') + 2)..].Split(' ');
            long area = long.Parse(size[0]) * long.Parse(size[2]);
            string coadd = lines.Single(l => l.StartsWith("coadd: ", StringComparison.Ordinal));
            long noData = long.Parse(coadd.Split(' ')[1]);
            Assert.InRange(noData, 0, area - 1);
            // Both visits reach the patch, and the coadd fills holes either leaves alone.
            var warpHoles = lines.Where(l => l.StartsWith("warp of visit ", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(' ')[4])).ToList();
            Assert.All(warpHoles, h => Assert.InRange(h, noData + 1, area - 1));
            Assert.True(File.Exists(Path.Combine(data, "coadd-example.fits")));
            Peers.AssertFitsverifyClean(Path.Combine(data, "coadd-example.fits"));
        }
        finally
        {
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }

    /// <summary>The package's README is its own (no repository-only instructions), its symbols are beside it, and it
    /// names its repository and commit (and the URL, where the clone has an origin).</summary>
    private static void CheckPackage(string nupkg, string snupkg)
    {
        Assert.True(File.Exists(snupkg), "no symbol package beside " + nupkg);
        using (var symbols = ZipFile.OpenRead(snupkg))
            Assert.Contains(symbols.Entries, e => e.FullName.EndsWith("ImageCore.pdb", StringComparison.Ordinal));
        using var zip = ZipFile.OpenRead(nupkg);
        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        XDocument nuspec;
        using (var s = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()) nuspec = XDocument.Load(s);
        var metadata = nuspec.Root!.Element(ns + "metadata")!;
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        string readme;
        using (var reader = new StreamReader(zip.GetEntry("README.md")!.Open())) readme = reader.ReadToEnd();
        Assert.Contains("IsrTask.Run", readme);
        Assert.DoesNotContain(".ci/run", readme);
        Assert.DoesNotContain("dotnet run --project", readme);
        foreach (string word in new[] { "ISR", "warp", "coadd" })
            Assert.Contains(word, metadata.Element(ns + "description")!.Value, StringComparison.OrdinalIgnoreCase);
        var repository = metadata.Element(ns + "repository");
        Assert.NotNull(repository);
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
        // The URL is the clone's origin where that is a hosted repository (a clone of a local directory has none to give).
        var origin = Peers.Run("git", "remote get-url origin", Peers.RepoRoot);
        if (origin.ExitCode == 0 && (origin.Stdout.Contains("://", StringComparison.Ordinal) || origin.Stdout.StartsWith("git@", StringComparison.Ordinal)))
            Assert.False(string.IsNullOrEmpty(repository.Attribute("url")?.Value), $"the clone's origin is {origin.Stdout.Trim()} but the package names no URL");
    }
}
