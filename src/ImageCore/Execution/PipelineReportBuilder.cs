using System.Collections.Concurrent;
using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Camera;

namespace ImageCore.Execution;

/// <summary>
/// Gathers a run's <see cref="PipelineReport"/> as the steps go: each step's counts and times, every failed or skipped
/// quantum (from any worker), the calibration counters; the outputs are those of the quanta that succeeded.
/// <see cref="Build"/> puts them in the report's order: failures by step and then by quantum name, outputs relative to
/// the output repository and sorted.
/// </summary>
internal sealed class PipelineReportBuilder(QuantumGraph graph, PipelineConfig config)
{
    private readonly ConcurrentBag<PipelineFailure> _failures = [];
    private readonly List<PipelineStepReport> _steps = [];

    /// <summary>What the calibration cache and store did (set by the ISR step; none read until then).</summary>
    public CalibrationReport Calibrations { get; set; } = new(config.Cache.ToString(),
        IsrStepRunner.StoreDescription(new DataRepository(graph.Data).CalibrationRoot, config.CalibrationStore), 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Adds a failed or skipped quantum. Thread-safe.</summary>
    public void AddFailure(PipelineFailure failure) => _failures.Add(failure);

    /// <summary>Adds a finished step (in the order they ran).</summary>
    public void AddStep(PipelineStepReport step) => _steps.Add(step);

    /// <summary>The report.</summary>
    /// <param name="state">How the run's quanta ended (the outputs listed are those of the quanta that succeeded).</param>
    /// <param name="started">When the run started.</param>
    /// <param name="wallSeconds">The run's wall time.</param>
    /// <param name="cpuSeconds">The process's CPU time during the run.</param>
    /// <param name="execution">Topology, placement and workers.</param>
    public PipelineReport Build(QuantumRunState state, DateTime started, double wallSeconds, double cpuSeconds, ExecutionReport execution)
    {
        var output = new DataRepository(graph.Output);
        List<string> Outputs(string step) =>
            state.Succeeded(step).SelectMany(q => q.Outputs).Select(output.Relative).Order(StringComparer.Ordinal).ToList();
        var sky = new RingsSkyMap(Pipeline.SkyMapFor(CameraModel.LsstCam, graph.Scale)).Config;
        string skyMap = string.Create(CultureInfo.InvariantCulture,
            $"lsst_cells_v1 scaled by {graph.Scale}: {sky.PixelScaleArcsec}\"/pixel, patches {sky.PatchInner} + {sky.PatchBorder} border, direct warps grown by {graph.WarpBorder}");
        var failures = _failures.OrderBy(f => StepRank(f.Step)).ThenBy(f => f.Quantum, StringComparer.Ordinal).ToList();
        return new PipelineReport(Path.GetFullPath(graph.Data), Path.GetFullPath(graph.Output), config.Threads, started.ToString("o", CultureInfo.InvariantCulture),
            wallSeconds, cpuSeconds, skyMap, _steps.ToList(), failures, Outputs(PipelineSteps.Isr), Outputs(PipelineSteps.Characterize), Outputs(PipelineSteps.Warp), Outputs(PipelineSteps.PsfMatch), Outputs(PipelineSteps.Coadd),
            graph.Order, Calibrations, execution);
    }

    /// <summary>Where a step's failures go: the pipeline's order, unknown names last.</summary>
    private static int StepRank(string step) => PipelineSteps.IndexOf(step) is int i and >= 0 ? i : int.MaxValue;
}
