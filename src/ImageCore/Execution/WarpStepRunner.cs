using ImageCore.Geometry;
using ImageCore.Warp;

namespace ImageCore.Execution;

/// <summary>
/// The <c>warp</c> step: one visit's post-ISR exposures onto one patch (<see cref="DirectWarp.Run"/>, the patch's outer box
/// grown by the graph's warp border), later detectors overwriting earlier ones. Not run when an input was not made
/// upstream or a raw of the visit could not be planned (a warp never silently lacks a detector); a warp with no good
/// pixel inside the patch's outer box is not written and counts as empty (Rubin's NoWorkFound); its
/// <see cref="DataRepository.EmptyMarker"/> says so to later runs.
/// </summary>
internal sealed class WarpStepRunner(StepSetup setup) : IStepRunner
{
    /// <inheritdoc/>
    public QuantumResult Run(Quantum quantum)
    {
        var graph = setup.Graph;
        int visit = quantum.DataId.Visit!.Value, tract = quantum.DataId.Tract!.Value, patch = quantum.DataId.Patch!.Value;
        var upstream = quantum.DependsOn.Select(id => graph[id]).ToList();
        var blocked = upstream.Select(setup.State.Missing).OfType<string>().ToList();
        if (graph.Unplanned.Any(u => u.Visit == visit)) blocked.Add($"a raw of visit {visit} could not be read, so its footprint is unknown");
        if (blocked.Count > 0)
            return new QuantumResult(QuantumOutcome.Skipped, upstream.OrderBy(q => q.DataId.Detector).SelectMany(q => q.Inputs).ToList(),
                                     "not run: " + string.Join("; ", blocked));
        string output = quantum.Outputs[0];
        var exposures = quantum.Inputs;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var (tractInfo, patchInfo) = setup.Patch(tract, patch);
            int border = graph.WarpBorder;
            var outer = new Box2I(border, border, patchInfo.Outer.Width, patchInfo.Outer.Height);
            var result = DirectWarp.Run(visit, tract, patch, exposures, DirectWarp.Target(tractInfo, patchInfo, border), setup.Config.Warp, output, 1, outer, setup.Cancel);
            if (result.GoodPixels == 0)
            {
                DataRepository.MarkEmpty(quantum, "no good pixel in the patch");
                return new QuantumResult(QuantumOutcome.Empty, exposures, "no good pixel in the patch");
            }
            DataRepository.ClearEmpty(quantum);
            return QuantumResult.Done(exposures);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return QuantumResult.Failure(exposures, e.Message);
        }
    }

    /// <inheritdoc/>
    public void Finish(PipelineReportBuilder report)
    {
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
