using ImageCore.Astrometry;
using ImageCore.Camera;

namespace ImageCore.Execution;

/// <summary>What every step runner is made with: the graph, the configuration, the run's record of outcomes and its
/// cancellation, and the sky map the graph was planned on.</summary>
internal sealed class StepSetup(QuantumGraph graph, PipelineConfig config, QuantumRunState state, CancellationToken cancel)
{
    private readonly Lazy<RingsSkyMap> _skyMap = new(() => new RingsSkyMap(Pipeline.SkyMapFor(CameraModel.LsstCam, graph.Scale)));

    /// <summary>The graph being run.</summary>
    public QuantumGraph Graph { get; } = graph;

    /// <summary>The stages' settings (the planning settings were read when the graph was made).</summary>
    public PipelineConfig Config { get; } = config;

    /// <summary>How the quanta of this run ended so far.</summary>
    public QuantumRunState State { get; } = state;

    /// <summary>The run's cancellation.</summary>
    public CancellationToken Cancel { get; } = cancel;

    /// <summary>The sky map for the graph's scale.</summary>
    public RingsSkyMap SkyMap => _skyMap.Value;

    /// <summary>Tract <paramref name="tract"/> and its patch with sequential index <paramref name="patch"/>.</summary>
    public (TractInfo Tract, PatchInfo Patch) Patch(int tract, int patch)
    {
        var t = SkyMap[tract];
        return (t, t.Patch(patch % t.PatchesX, patch / t.PatchesX));
    }
}
