using ImageCore.Coadd;
using ImageCore.Geometry;

namespace ImageCore.Execution;

/// <summary>
/// The <c>coadd</c> step: a patch's warps that exist, by visit, cropped to the patch's outer box: with the CompareWarp
/// statistic (the default) the direct warps whose PSF-matched warps exist too (<see cref="CompareWarpCoadd"/>), with the
/// others the direct warps alone (<see cref="CoaddTask"/>). The coadd's header lists its inputs, so a patch that lost a
/// visit is a shallower coadd, not one with holes. With no warp to read it is empty when every warp
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
        var upstream = quantum.DependsOn.Select(id => graph[id]).ToList();
        // The patch's direct warps by visit, then (from the psfmatch step) their PSF-matched warps in the same order.
        int visits = upstream.Count(q => q.Step == PipelineSteps.Warp);
        var warps = upstream.Take(visits).ToList();
        var matched = upstream.Skip(visits).ToList();
        var config = _setup.Config.Coadd;
        bool compareWarp = config.Statistic == CoaddStatistic.CompareWarp;
        if (compareWarp && matched.Count != visits)
            return QuantumResult.Failure(quantum.Inputs.Take(visits).ToList(), "a CompareWarp coadd needs the PSF-matched warps, and this plan has none for the patch: plan it again");
        var use = Enumerable.Range(0, visits)
            .Where(k => _setup.State.Missing(warps[k]) is null && (!compareWarp || _setup.State.Missing(matched[k]) is null)).ToList();
        if (use.Count == 0)
        {
            // Empty when every visit had nothing in the patch: its direct warp, or (for CompareWarp, which uses only the
            // PSF-matched footprint) its PSF-matched warp, was empty by design.
            bool nothing = Enumerable.Range(0, visits).All(k => _setup.State.IsEmpty(warps[k]) || (compareWarp && _setup.State.IsEmpty(matched[k])));
            if (!nothing) return new QuantumResult(QuantumOutcome.Skipped, [], "not run: none of its warps was made");
            DataRepository.MarkEmpty(quantum, "no warp has a good pixel in the patch");
            return new QuantumResult(QuantumOutcome.Empty, [], "no warp has a good pixel in the patch");
        }
        string output = quantum.Outputs[0];
        var direct = use.Select(k => quantum.Inputs[k]).ToList();
        var inputs = compareWarp ? direct.Concat(use.Select(k => quantum.Inputs[visits + k])).ToList() : direct;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var (_, patch) = _setup.Patch(quantum.DataId.Tract!.Value, quantum.DataId.Patch!.Value);
            int border = graph.WarpBorder;
            var region = new Box2I(border, border, patch.Outer.Width, patch.Outer.Height);
            if (compareWarp)
                CompareWarpCoadd.Run(use.Select(k => new CompareWarpInput(quantum.Inputs[k], quantum.Inputs[visits + k])).ToList(), output,
                                     _setup.Config.CompareWarp with { Coadd = config with { Statistic = CoaddStatistic.Mean } }, _threadsPerCoadd, region, _setup.Cancel);
            else
                CoaddTask.Run(direct, output, config, _threadsPerCoadd, region, _setup.Cancel);
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
