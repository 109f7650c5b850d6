using System.Globalization;
using ImageCore.Execution;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

/// <summary>The plan directory written from a <see cref="CompactPlan"/>'s numbers against the one written from its graph
/// (<see cref="CompactPlan.ToGraph"/>) and <see cref="QuantumClusterer"/>, byte for byte.</summary>
public class CompactPlanTests
{
    private static readonly SimulationConfig Small = new() { Visits = 5, Detectors = "R22_S11,R22_S12,R22_S21,R21_S12", Scale = 8, Seed = 7, SeeingFwhmArcsec = 6.4 };

    public static TheoryData<string, string, string, int> Settings => new()
    {
        { "visit", "coadd", "detector", 2 },
        { "detector", "coadd", "visit", 2 },
        { "groups:2", "coadd", "detector", 1 },
        { "visit", "psfmatch", "detector", 3 },
        { "detector", "warp", "detector", 15 },
        { "visit", "characterize", "visit", 2 },
        { "groups:3", "isr", "detector", 2 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Writes_the_bytes_of_the_graph_and_the_clusterer(string order, string until, string isrKey, int groupSize)
    {
        using var dir = new TempDir();
        var config = new PipelineConfig { Order = QuantumOrder.Parse(order), Until = Enum.Parse<PipelineStep>(until, ignoreCase: true) };
        var clustering = new ClusterConfig { VisitsPerGroup = groupSize, IsrKey = Enum.Parse<IsrClusterKey>(isrKey, ignoreCase: true) };
        var compact = QuantumGraphPlanner.PlanSimulatedCompact(Small, new DataRepository(dir.File("data")), new DataRepository(dir.File("out")), config);
        AssertSameDirectories(dir, compact, clustering);
    }

    [Fact]
    public void Escapes_roots_as_the_json_writer_does_and_keeps_a_trailing_separator()
    {
        using var dir = new TempDir();
        foreach (string output in new[] { dir.File("out with space+<ü>&\"'\\") + "/", "relative/out", "" })
        {
            var compact = QuantumGraphPlanner.PlanSimulatedCompact(Small with { Visits = 3 }, new DataRepository(dir.File("dätä&")), new DataRepository(output),
                                                                   new PipelineConfig());
            AssertSameDirectories(dir, compact, new ClusterConfig { VisitsPerGroup = 1 });
        }
    }

    [Fact]
    public void Writes_the_raws_that_could_not_be_planned_into_the_graph()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        Simulator.Run(data, Small with { Visits = 2, Detectors = "R22_S11,R22_S12" });
        File.WriteAllText(Path.Combine(data, "raw", "000001", "R22_S21.fits"), "not a FITS file");
        var compact = QuantumGraphPlanner.PlanCompact(new DataRepository(data), new DataRepository(dir.File("out")), new PipelineConfig());
        Assert.Single(compact.Unplanned);
        AssertSameDirectories(dir, compact, new ClusterConfig { VisitsPerGroup = 1 });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(-7)]
    [InlineData(123456)]
    [InlineData(1234567)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    [InlineData(-1000)]
    public void Formats_numbers_as_the_zero_padded_custom_formats(int value)
    {
        var text = new CompactPlan.Utf8Text();
        foreach (int digits in new[] { 1, 3, 5, 6 })
        {
            text.Clear();
            text.Add(value, digits);
            string expected = digits == 1 ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', digits), CultureInfo.InvariantCulture);
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(text.Span));
        }
    }

    private static void AssertSameDirectories(TempDir dir, CompactPlan compact, ClusterConfig clustering)
    {
        var graph = compact.ToGraph();
        var plan = QuantumClusterer.Cluster(graph, clustering);
        string expected = dir.File("expected-" + Guid.NewGuid().ToString("N")), actual = dir.File("actual-" + Guid.NewGuid().ToString("N"));
        PlanDirectory.Write(expected, graph, plan);
        PlanDirectory.Write(actual, compact, compact.Cluster(clustering));
        var files = Directory.GetFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order(StringComparer.Ordinal));
        Assert.Contains(Path.Combine("clusters", graph.Steps[^1] + ".jsonl"), files);
        foreach (string file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), file);
        Assert.Equal(graph.Quanta.Count, compact.Count);
    }
}
