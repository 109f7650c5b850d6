using System.Buffers;
using System.Text;
using System.Text.Json;
using ImageCore.Camera;
using ImageCore.Execution;
using ImageCore.Simulation;

namespace ImageCore.Tests.Execution;

/// <summary>How the planner builds a night's graph fast (each step's quanta made in parallel by their place in the step's
/// order, the warps found by one sort) and how the plan writes quanta by hand: the graph's order and contents as the
/// pipeline defines them, the same graph run to run, and the generated serialiser's bytes.</summary>
public class PlanBuildTests
{
    private static readonly SimulationConfig Night = new() { Visits = 12, Detectors = "R22,R21,R12", Scale = 8, Seed = 5 };

    private static QuantumGraph Plan(string order, PipelineStep until = PipelineStep.Coadd) =>
        QuantumGraphPlanner.PlanSimulated(Night, new DataRepository("/data"), new DataRepository("/out"),
                                          new PipelineConfig { Order = QuantumOrder.Parse(order), Until = until });

    [Theory]
    [InlineData("visit")]
    [InlineData("detector")]
    [InlineData("groups:3")]
    public void Each_step_lists_its_quanta_in_the_order_and_each_warp_and_coadd_reads_what_the_pipeline_defines(string order)
    {
        var graph = Plan(order);
        var parsed = QuantumOrder.Parse(order);
        var output = new DataRepository("/out");
        var byId = graph.Quanta.ToDictionary(q => q.Id);
        var rawOrder = Simulator.SelectDetectors(CameraModel.LsstCam.Scaled(Night.Scale), Night.Detectors).Select(d => d.Id).ToList();
        Assert.NotEqual(rawOrder.Order(), rawOrder);   // R22 before R21: raw order is not detector order

        var isr = graph.Quanta.Where(q => q.Step == PipelineSteps.Isr).ToList();
        Assert.Equal(parsed.Apply(isr, q => q.DataId.Visit!.Value, q => q.DataId.Detector!.Value).Select(q => q.Id), isr.Select(q => q.Id));
        var characterize = graph.Quanta.Where(q => q.Step == PipelineSteps.Characterize).ToList();
        Assert.Equal(isr.Select(q => q.Id.Replace("isr/", "characterize/", StringComparison.Ordinal)), characterize.Select(q => q.Id));

        var warps = graph.Quanta.Where(q => q.Step == PipelineSteps.Warp).ToList();
        Assert.NotEmpty(warps);
        Assert.Equal(parsed.Apply(warps, q => q.DataId.Visit!.Value, q => (q.DataId.Tract!.Value, q.DataId.Patch!.Value)).Select(q => q.Id), warps.Select(q => q.Id));
        foreach (var w in warps)
        {
            var d = w.DataId;
            Assert.Equal([output.Warp(d.Tract!.Value, d.Patch!.Value, d.Visit!.Value)], w.Outputs);
            var upstream = w.DependsOn.Select(id => byId[id]).ToList();
            Assert.All(upstream, u => Assert.Equal(PipelineSteps.Characterize, u.Step));
            Assert.All(upstream, u => Assert.Equal(d.Visit, u.DataId.Visit));
            // Inputs by detector id; dependencies in raw order (a dry run's: the detectors as selected).
            Assert.Equal(upstream.OrderBy(u => u.DataId.Detector).Select(u => u.Outputs[0]), w.Inputs);
            Assert.Equal(upstream.OrderBy(u => rawOrder.IndexOf(u.DataId.Detector!.Value)).Select(u => u.Id), w.DependsOn);
        }

        var matched = graph.Quanta.Where(q => q.Step == PipelineSteps.PsfMatch).ToList();
        Assert.Equal(warps.Select(w => w.Id.Replace("warp/", "psfmatch/", StringComparison.Ordinal)), matched.Select(q => q.Id));
        Assert.Equal(warps.Select(w => w.Outputs[0]), matched.Select(q => q.Inputs.Single()));
        Assert.Equal(warps.Select(w => w.Id), matched.Select(q => q.DependsOn.Single()));

        var coadds = graph.Quanta.Where(q => q.Step == PipelineSteps.Coadd).ToList();
        var patches = warps.Select(w => (w.DataId.Tract!.Value, w.DataId.Patch!.Value)).Distinct().Order().ToList();
        Assert.Equal(patches.Select(p => $"coadd/{p.Item1:00000}/{p.Item2:000}"), coadds.Select(c => c.Id));
        foreach (var c in coadds)
        {
            var patchWarps = warps.Where(w => w.DataId.Tract == c.DataId.Tract && w.DataId.Patch == c.DataId.Patch).OrderBy(w => w.DataId.Visit).ToList();
            var patchMatched = patchWarps.Select(w => byId[w.Id.Replace("warp/", "psfmatch/", StringComparison.Ordinal)]).ToList();
            Assert.Equal(patchWarps.Concat(patchMatched).Select(q => q.Outputs[0]), c.Inputs);
            Assert.Equal(patchWarps.Concat(patchMatched).Select(q => q.Id), c.DependsOn);
        }
    }

    [Fact]
    public void The_graph_is_the_same_run_to_run()
    {
        string first = Plan("groups:4").ToJson();
        for (int run = 0; run < 3; run++) Assert.Equal(first, Plan("groups:4").ToJson());
    }

    [Theory]
    [InlineData(PipelineStep.PsfMatch)]
    [InlineData(PipelineStep.Warp)]
    [InlineData(PipelineStep.Characterize)]
    public void A_run_cut_short_plans_the_quanta_of_the_whole_runs_first_steps(PipelineStep until)
    {
        var whole = Plan("visit");
        var part = Plan("visit", until);
        var steps = PipelineSteps.Through(until);
        Assert.Equal(steps, part.Steps);
        Assert.Equal(whole.Quanta.Where(q => steps.Contains(q.Step)).Select(q => q.Id), part.Quanta.Select(q => q.Id));
    }

    [Fact]
    public void Quanta_written_by_hand_are_the_generated_serialisers_bytes()
    {
        var planned = Plan("visit");
        var unplanned = new UnplannedRaw(PipelineSteps.Isr, "000009 R22_S11.fits", "/data/raw/000009/R22_S11.fits", 9, "cannot plan: \"quoted\" <é>");
        var graph = new QuantumGraph(planned.Version, planned.Data + "/é+<>", planned.Output, planned.Scale, planned.WarpBorder, planned.Order, planned.Steps,
                                     planned.Quanta, [unplanned]);

        using var generated = new MemoryStream();
        using (var writer = new Utf8JsonWriter(generated, new JsonWriterOptions { Indented = false, SkipValidation = true }))
            JsonSerializer.Serialize(writer, graph, QuantumGraphJsonContext.Default.QuantumGraph);
        using var byHand = new MemoryStream();
        graph.WriteJson(byHand, indented: false);
        Assert.Equal(Encoding.UTF8.GetString(generated.ToArray()), Encoding.UTF8.GetString(byHand.ToArray()));
        var buffer = new ArrayBufferWriter<byte>();
        graph.WriteJson(buffer);
        Assert.Equal(generated.ToArray(), buffer.WrittenSpan.ToArray());
        Assert.Equal(graph.ToJson(), QuantumGraph.FromJson(new MemoryStream(byHand.ToArray())).ToJson());

        // A cluster's part: its quanta with their dependencies, the quanta they depend on without theirs.
        var coadd = graph.Quanta.First(q => q.Step == PipelineSteps.Coadd);
        string[] ids = [coadd.Id, coadd.DependsOn[0], graph.Quanta.First(q => q.Step == PipelineSteps.Characterize).Id];
        using var part = new MemoryStream();
        graph.Subgraph(ids).WriteJson(part, indented: false);
        var partByHand = new ArrayBufferWriter<byte>();
        graph.WriteSubgraphJson(partByHand, ids);
        Assert.Equal(Encoding.UTF8.GetString(part.ToArray()), Encoding.UTF8.GetString(partByHand.WrittenSpan));
        Assert.Contains("\"dependsOn\":[]", Encoding.UTF8.GetString(partByHand.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Dependencies_are_found_by_position_and_a_graph_that_does_not_hold_together_is_still_refused()
    {
        var graph = Plan("visit");
        for (int p = 0; p < graph.Quanta.Count; p += 97)
            Assert.Equal(graph.Quanta[p].DependsOn, graph.DependencyPositions(p).ToArray().Select(d => graph.Quanta[d].Id));
        var quanta = graph.Quanta.ToList();
        int warp = quanta.FindIndex(q => q.Step == PipelineSteps.Warp);
        quanta[warp] = quanta[warp] with { DependsOn = ["coadd/00000/000"] };
        Assert.Throws<ArgumentException>(() => new QuantumGraph(graph.Version, graph.Data, graph.Output, graph.Scale, graph.WarpBorder, graph.Order,
                                                                graph.Steps, quanta, []));
        quanta[warp] = quanta[warp] with { DependsOn = [quanta[warp + 1].Id] };   // a later quantum of its own step
        Assert.Throws<ArgumentException>(() => new QuantumGraph(graph.Version, graph.Data, graph.Output, graph.Scale, graph.WarpBorder, graph.Order,
                                                                graph.Steps, quanta, []));
        quanta[warp] = quanta[warp] with { Inputs = [null!] };
        Assert.Throws<ArgumentException>(() => new QuantumGraph(graph.Version, graph.Data, graph.Output, graph.Scale, graph.WarpBorder, graph.Order,
                                                                graph.Steps, quanta, []));
    }
}
