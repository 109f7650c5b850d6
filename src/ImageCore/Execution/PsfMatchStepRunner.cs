using ImageCore.Geometry;
using ImageCore.Warp;

namespace ImageCore.Execution;

/// <summary>
/// The <c>psfmatch</c> step: a direct warp matched to the model PSF (<see cref="PsfMatchedWarp.Run"/>, Rubin's
/// makePsfMatchedWarp), on the direct warp's grid, the patch's outer box the part that must be good. A quantum whose
/// direct warp was empty (no good pixel in the patch) is empty too; one whose warp failed or was skipped is skipped.
/// A detector whose PSF is wider than the model is matched as well as it can be and named in the output's header and
/// in the quantum's message, not dropped.
/// </summary>
internal sealed class PsfMatchStepRunner(StepSetup setup) : IStepRunner
{
    /// <inheritdoc/>
    public QuantumResult Run(Quantum quantum)
    {
        var graph = setup.Graph;
        var warp = graph[quantum.DependsOn[0]];
        string input = quantum.Inputs[0], output = quantum.Outputs[0];
        if (setup.State.IsEmpty(warp))
        {
            DataRepository.MarkEmpty(quantum, "its direct warp has no good pixel in the patch");
            return new QuantumResult(QuantumOutcome.Empty, [], "its direct warp has no good pixel in the patch");
        }
        if (setup.State.Missing(warp) is { } missing) return new QuantumResult(QuantumOutcome.Skipped, [input], "not run: " + missing);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var (_, patch) = setup.Patch(quantum.DataId.Tract!.Value, quantum.DataId.Patch!.Value);
            int border = graph.WarpBorder;
            var outer = new Box2I(border, border, patch.Outer.Width, patch.Outer.Height);
            var result = PsfMatchedWarp.Run(input, output, setup.Config.PsfMatch, 1, outer, setup.Cancel);
            if (result.GoodPixels == 0)
            {
                DataRepository.MarkEmpty(quantum, "no good PSF-matched pixel in the patch");
                return new QuantumResult(QuantumOutcome.Empty, [input], "no good PSF-matched pixel in the patch");
            }
            DataRepository.ClearEmpty(quantum);
            var wide = result.Detectors.Where(d => d.ScienceWiderThanModel).Select(d => d.Detector).ToList();
            return wide.Count == 0
                ? QuantumResult.Done([input])
                : new QuantumResult(QuantumOutcome.Succeeded, [input], "PSF wider than the model, matched as well as it can be: " + string.Join(", ", wide));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return QuantumResult.Failure([input], e.Message);
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
