using System.Text.Json;
using ImageCore.Execution;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class QuantumGraphTests
{
    private static readonly SimulationConfig Small = new() { Visits = 2, Detectors = "R22_S11,R22_S12", Scale = 8, Seed = 7, SeeingFwhmArcsec = 6.4 };

    [Fact]
    public void The_plan_names_every_quantum_its_files_and_dependencies_and_round_trips_through_json()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("run");
        Simulator.Run(data, Small);
        var graph = QuantumGraphPlanner.Plan(new DataRepository(data), new DataRepository(output), new PipelineConfig { Threads = 2 });
        var repo = new DataRepository(output);

        Assert.Equal(["isr", "characterize", "warp", "psfmatch", "coadd"], graph.Steps);
        Assert.Equal(8, graph.Scale);
        Assert.Equal(256 / 8, graph.WarpBorder);
        Assert.Equal("visit", graph.Order);
        Assert.Empty(graph.Unplanned);
        var isr = graph.Quanta.Where(q => q.Step == "isr").ToList();
        Assert.Equal(["isr/000000/R22_S11", "isr/000000/R22_S12", "isr/000001/R22_S11", "isr/000001/R22_S12"], isr.Select(q => q.Id));
        Assert.Equal([new DataRepository(data).Raw(0, "R22_S11")], isr[0].Inputs);
        Assert.Equal([repo.PostIsr(0, "R22_S11")], isr[0].Outputs);
        Assert.Equal("visit 0 detector R22_S11", isr[0].DataId.ToString());
        Assert.Empty(isr[0].DependsOn);

        var characterize = graph.Quanta.Where(q => q.Step == "characterize").ToList();
        Assert.Equal(["characterize/000000/R22_S11", "characterize/000000/R22_S12", "characterize/000001/R22_S11", "characterize/000001/R22_S12"],
                     characterize.Select(q => q.Id));
        Assert.Equal(isr[0].Outputs, characterize[0].Inputs);
        Assert.Equal([repo.Calexp(0, "R22_S11")], characterize[0].Outputs);
        Assert.Equal([isr[0].Id], characterize[0].DependsOn);

        var warps = graph.Quanta.Where(q => q.Step == "warp").ToList();
        Assert.NotEmpty(warps);
        foreach (var w in warps)
        {
            var id = w.DataId;
            Assert.Equal(repo.Warp(id.Tract!.Value, id.Patch!.Value, id.Visit!.Value), Assert.Single(w.Outputs));
            Assert.Equal($"warp/{id.Tract:00000}/{id.Patch:000}/{id.Visit:000000}", w.Id);
            Assert.All(w.DependsOn, d => Assert.Equal(id.Visit, graph[d].DataId.Visit));
            // Inputs: the characterized exposures of the quanta it depends on, by detector id.
            Assert.All(w.DependsOn, d => Assert.Equal("characterize", graph[d].Step));
            Assert.Equal(w.DependsOn.Select(d => graph[d]).OrderBy(q => q.DataId.Detector).Select(q => q.Outputs[0]), w.Inputs);
        }
        var matched = graph.Quanta.Where(q => q.Step == "psfmatch").ToList();
        Assert.Equal(warps.Count, matched.Count);
        foreach (var m in matched)
        {
            var warp = graph[Assert.Single(m.DependsOn)];
            Assert.Equal("warp", warp.Step);
            Assert.Equal(warp.Outputs, m.Inputs);
            Assert.Equal(repo.PsfMatchedWarp(m.DataId.Tract!.Value, m.DataId.Patch!.Value, m.DataId.Visit!.Value), Assert.Single(m.Outputs));
        }
        var coadds = graph.Quanta.Where(q => q.Step == "coadd").ToList();
        Assert.Equal(warps.Select(w => (w.DataId.Tract, w.DataId.Patch)).Distinct().Count(), coadds.Count);
        foreach (var c in coadds)
        {
            var deps = c.DependsOn.Select(d => graph[d]).ToList();
            Assert.All(deps, d => Assert.Equal((c.DataId.Tract, c.DataId.Patch), (d.DataId.Tract, d.DataId.Patch)));
            // The direct warps by visit, then their PSF-matched warps in the same order.
            var direct = deps.Where(d => d.Step == "warp").ToList();
            Assert.Equal(direct.Count * 2, deps.Count);
            Assert.Equal(direct.Select(d => d.DataId.Visit).Order(), direct.Select(d => d.DataId.Visit));
            Assert.Equal(direct.Select(d => "psfmatch" + d.Id["warp".Length..]), deps.Skip(direct.Count).Select(d => d.Id));
            Assert.Equal(deps.Select(d => d.Outputs[0]), c.Inputs);
            Assert.Equal(repo.Coadd(c.DataId.Tract!.Value, c.DataId.Patch!.Value), Assert.Single(c.Outputs));
        }
        Assert.False(Directory.Exists(output), "planning writes nothing");

        string json = graph.ToJson();
        var back = QuantumGraph.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(graph.Quanta, back.Quanta, new QuantumComparer());
        using var doc = JsonDocument.Parse(json);
        var first = doc.RootElement.GetProperty("quanta")[0];
        Assert.Equal(["id", "step", "dataId", "inputs", "outputs", "dependsOn"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["visit", "detector", "detectorName"], first.GetProperty("dataId").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["tract", "patch"], doc.RootElement.GetProperty("quanta").EnumerateArray().Last().GetProperty("dataId").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_graph_that_does_not_hold_together_is_refused_by_name()
    {
        static QuantumGraph Graph(int version = QuantumGraph.FormatVersion, params Quantum[] quanta) =>
            new(version, "d", "o", 1, 0, "visit", ["isr", "warp"], quanta, []);
        var isr = new Quantum("isr/a", "isr", new DataId(Visit: 1, DetectorName: "R22_S11"), ["raw"], ["post"], []);
        var warp = new Quantum("warp/b", "warp", new DataId(Visit: 1, Tract: 2, Patch: 3), ["post"], ["warp"], ["isr/a"]);
        Assert.Same(warp, Graph(QuantumGraph.FormatVersion, isr, warp)["warp/b"]);
        Assert.Contains("version 2", Assert.Throws<ArgumentException>(() => Graph(2, isr)).Message);
        Assert.Contains("isr/x, which is not an earlier quantum", Assert.Throws<ArgumentException>(() => Graph(QuantumGraph.FormatVersion, isr, warp with { DependsOn = ["isr/x"] })).Message);
        Assert.Contains("repeated", Assert.Throws<ArgumentException>(() => Graph(QuantumGraph.FormatVersion, isr, isr)).Message);
        Assert.Contains("after the warp quanta", Assert.Throws<ArgumentException>(() => Graph(QuantumGraph.FormatVersion, warp with { DependsOn = [] }, isr)).Message);
        Assert.Contains("step psf", Assert.Throws<ArgumentException>(() => Graph(QuantumGraph.FormatVersion, isr with { Step = "psf" })).Message);

        string json = Graph(QuantumGraph.FormatVersion, isr, warp).ToJson();
        Assert.Contains("not an earlier quantum", Assert.Throws<JsonException>(() => QuantumGraph.FromJson(json.Replace("\"isr/a\"\n", "\"isr/z\"\n", StringComparison.Ordinal))).Message);
        Assert.Throws<JsonException>(() => QuantumGraph.FromJson(json.Replace("\"scale\"", "\"scales\"", StringComparison.Ordinal)));
        Assert.Throws<JsonException>(() => QuantumGraph.FromJson("{\"version\": 1}"));
    }

    [Fact]
    public void A_data_id_is_written_with_the_keys_it_has_and_read_back_refusing_others()
    {
        var isr = new Quantum("isr/a", "isr", new DataId(Visit: 3, Detector: 94, DetectorName: "R22_S11"), ["raw"], ["post"], []);
        var warp = new Quantum("warp/b", "warp", new DataId(Visit: 3, Tract: 9813, Patch: 45), ["post"], ["warp"], ["isr/a"]);
        var coadd = new Quantum("coadd/c", "coadd", new DataId(Tract: 9813, Patch: 45), ["warp"], ["coadd"], ["warp/b"]);
        var graph = new QuantumGraph(QuantumGraph.FormatVersion, "d", "o", 8, 32, "visit", ["isr", "warp", "coadd"], [isr, warp, coadd], []);
        using var stream = new MemoryStream();
        graph.WriteJson(stream, indented: false);
        string compact = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("""{"id":"isr/a","step":"isr","dataId":{"visit":3,"detector":94,"detectorName":"R22_S11"},"inputs":["raw"]""", compact);
        Assert.Contains("""{"id":"warp/b","step":"warp","dataId":{"visit":3,"tract":9813,"patch":45},""", compact);
        Assert.Contains("""{"id":"coadd/c","step":"coadd","dataId":{"tract":9813,"patch":45},""", compact);
        Assert.Contains("\"dataId\": {\n        \"tract\": 9813,\n        \"patch\": 45\n      }", graph.ToJson().ReplaceLineEndings("\n"));
        Assert.Equal([isr.DataId, warp.DataId, coadd.DataId], QuantumGraph.FromJson(compact).Quanta.Select(q => q.DataId));
        Assert.Equal(new DataId(Visit: 3), QuantumGraph.FromJson(compact.Replace("\"detector\":94,\"detectorName\":\"R22_S11\"", "\"detectorName\":null", StringComparison.Ordinal)).Quanta[0].DataId);
        Assert.Contains("no key 'band'", Assert.Throws<JsonException>(() => QuantumGraph.FromJson(compact.Replace("\"visit\":3,\"tract\"", "\"band\":3,\"tract\"", StringComparison.Ordinal))).Message);
        Assert.Throws<JsonException>(() => QuantumGraph.FromJson(compact.Replace("\"patch\":45}", "\"patch\":\"45\"}", StringComparison.Ordinal)));
    }

    [Fact]
    public void Running_the_graph_a_step_at_a_time_gives_the_outputs_of_one_whole_run()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), whole = dir.File("whole"), parts = dir.File("parts");
        Simulator.Run(data, Small);
        var config = new PipelineConfig { Threads = 2 };
        var reference = Pipeline.Run(data, whole, config);

        // As a batch system would: the graph written out, read back, and each step's quanta run by a separate run.
        var graph = QuantumGraph.FromJson(QuantumGraphPlanner.Plan(new DataRepository(data), new DataRepository(parts), config).ToJson());
        foreach (string step in graph.Steps)
        {
            var report = Pipeline.Run(graph, config, graph.Quanta.Where(q => q.Step == step).Select(q => q.Id).ToHashSet());
            Assert.Equal([step], report.Steps.Select(s => s.Name));
            Assert.Empty(report.Failures);
            // An earlier run's empty warps are known here by their markers (OUTPUT.empty): a patch whose warps were all
            // empty gets an empty coadd, as in the whole run, not a skipped one.
            if (step is "coadd" or "psfmatch") Assert.Equal(reference.Steps.Single(s => s.Name == step).Empty, report.Steps[0].Empty);
        }
        string[] Files(string root) => Directory.GetFiles(root, "*.fits", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Files(whole), Files(parts));
        Assert.Equal(reference.PostIsr.Count + reference.Calexps.Count + reference.Warps.Count + reference.PsfMatchedWarps.Count + reference.Coadds.Count, Files(whole).Length);
        foreach (string f in Files(whole)) Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(parts, f))), f);

        // A warp whose upstream exposure is not there is skipped, naming it.
        var warp = graph.Quanta.First(q => q.Step == "warp");
        File.Delete(warp.Inputs[0]);
        var skipped = Pipeline.Run(graph, config, new HashSet<string> { warp.Id });
        var failure = Assert.Single(skipped.Failures);
        Assert.True(failure.Skipped);
        Assert.Contains($"{warp.Inputs[0]} does not exist", failure.Message);
        Assert.Throws<ArgumentException>(() => Pipeline.Run(graph, config, new HashSet<string> { "isr/999999/R22_S11" }));
    }

    private sealed class QuantumComparer : IEqualityComparer<Quantum>
    {
        public bool Equals(Quantum? x, Quantum? y) => x is not null && y is not null && x.Id == y.Id && x.Step == y.Step && x.DataId == y.DataId
            && x.Inputs.SequenceEqual(y.Inputs) && x.Outputs.SequenceEqual(y.Outputs) && x.DependsOn.SequenceEqual(y.DependsOn);

        public int GetHashCode(Quantum obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
