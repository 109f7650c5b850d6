using ImageCore.Coadd;
using ImageCore.Geometry;

namespace ImageCore.Execution;

/// <summary>
/// The <c>coadd</c> step: a patch's warps that exist, by visit, cropped to the patch's outer box (<see cref="CoaddTask"/>;
/// the direct warps' growth is for PSF matching, which ImageCore does not do yet). The coadd's header lists its inputs, so
/// a patch that lost a visit is a shallower coadd, not one with holes. With no warp to read it is empty when every warp
/// of the patch was empty, in this run or an earlier one (their <see cref="DataRepository.EmptyMarker"/>s; it then writes its
/// own marker and is not a failure), and skipped otherwise. Each coadd gets the threads the concurrent coadds leave.
/// </summary>
internal sealed class CoaddStepRunner : IStepRunner
{
    private readonly StepSetup _setup;
    private readonly int _threadsPerCoadd;

    /// <summary>A runner sharing <see cref="PipelineConfig.Threads"/> among the step's quanta.</summary>
    public CoaddStepRunner(StepSetup setup)
    {
        _setup = setup;
        int threads = setup.Config.Threads, coadds = setup.State.QuantaOf(PipelineSteps.Coadd).Count;
        _threadsPerCoadd = Math.Max(1, threads / Math.Max(1, Math.Min(threads, coadds)));
    }

    /// <inheritdoc/>
    public QuantumResult Run(Quantum quantum)
    {
        var graph = _setup.Graph;
        var warps = quantum.DependsOn.Select(id => graph[id]).ToList();
        var inputs = quantum.Inputs.Where((_, i) => _setup.State.Missing(warps[i]) is null).ToList();
        if (inputs.Count == 0)
        {
            if (!warps.All(_setup.State.IsEmpty)) return new QuantumResult(QuantumOutcome.Skipped, [], "not run: none of its warps was made");
            DataRepository.MarkEmpty(quantum, "no warp has a good pixel in the patch");
            return new QuantumResult(QuantumOutcome.Empty, [], "no warp has a good pixel in the patch");
        }
        string output = quantum.Outputs[0];
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var (_, patch) = _setup.Patch(quantum.DataId.Tract!.Value, quantum.DataId.Patch!.Value);
            int border = graph.WarpBorder;
            CoaddTask.Run(inputs, output, _setup.Config.Coadd, _threadsPerCoadd, new Box2I(border, border, patch.Outer.Width, patch.Outer.Height), _setup.Cancel);
            DataRepository.ClearEmpty(quantum);
            return QuantumResult.Done(inputs);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return QuantumResult.Failure(inputs, e.Message);
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
