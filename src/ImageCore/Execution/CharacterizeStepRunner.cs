using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Execution;

/// <summary>
/// The <c>characterize</c> step: a post-ISR exposure to its characterized exposure (<see cref="CharacterizeTask"/> on one
/// thread per quantum, as the quanta run concurrently), written with its PSF and background HDUs. The configuration is
/// <see cref="PipelineConfig.Characterize"/> scaled to the graph's scale (<see cref="CharacterizeConfig.ForScale"/>). A
/// quantum whose ISR failed is skipped; one whose exposure has too few PSF stars fails with that error (the run goes on,
/// and the warps that need it are skipped), never writes a NaN model.
/// </summary>
internal sealed class CharacterizeStepRunner(StepSetup setup) : IStepRunner
{
    private readonly CharacterizeConfig _config = setup.Config.Characterize.ForScale(setup.Graph.Scale);

    /// <inheritdoc/>
    public QuantumResult Run(Quantum quantum)
    {
        var graph = setup.Graph;
        var upstream = quantum.DependsOn.Select(id => graph[id]).ToList();
        var blocked = upstream.Select(setup.State.Missing).OfType<string>().ToList();
        string input = quantum.Inputs[0], output = quantum.Outputs[0];
        if (blocked.Count > 0) return new QuantumResult(QuantumOutcome.Skipped, [input], "not run: " + string.Join("; ", blocked));
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            using var exposure = ExposureFits.Read(input, setup.Cancel);
            var result = CharacterizeTask.Run(exposure, _config, 1, setup.Cancel);
            CharacterizeTask.Write(output, exposure, result.Background, setup.Cancel);
            return QuantumResult.Done([input]);
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
