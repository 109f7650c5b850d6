namespace ImageCore.Execution;

/// <summary>
/// The pipeline's steps in the order they run, by name (as quanta, the report and the metrics name them), with the
/// runner of each. A new step is a name here, a <see cref="PipelineStep"/> member, its quanta in
/// <see cref="QuantumGraphPlanner"/> and an <see cref="IStepRunner"/>.
/// </summary>
internal static class PipelineSteps
{
    /// <summary>Instrument signature removal.</summary>
    public const string Isr = "isr";

    /// <summary>Characterization: background, cosmic rays, detection and the PSF model.</summary>
    public const string Characterize = "characterize";

    /// <summary>Direct warps.</summary>
    public const string Warp = "warp";

    /// <summary>PSF-matched warps.</summary>
    public const string PsfMatch = "psfmatch";

    /// <summary>Coadds.</summary>
    public const string Coadd = "coadd";

    /// <summary>Every step, in order, with its member of <see cref="PipelineStep"/> and how its runner is made.</summary>
    private static readonly (string Name, PipelineStep Step, Func<StepSetup, IStepRunner> Create)[] All =
    [
        (Isr, PipelineStep.Isr, setup => new IsrStepRunner(setup)),
        (Characterize, PipelineStep.Characterize, setup => new CharacterizeStepRunner(setup)),
        (Warp, PipelineStep.Warp, setup => new WarpStepRunner(setup)),
        (PsfMatch, PipelineStep.PsfMatch, setup => new PsfMatchStepRunner(setup)),
        (Coadd, PipelineStep.Coadd, setup => new CoaddStepRunner(setup)),
    ];

    /// <summary>The steps' names from the first through <paramref name="until"/>.</summary>
    public static IReadOnlyList<string> Through(PipelineStep until) => All.Where(s => s.Step <= until).Select(s => s.Name).ToList();

    /// <summary>Where <paramref name="step"/> comes in the pipeline (0 for ISR), or -1 for a name that is no step.</summary>
    public static int IndexOf(string step) => Array.FindIndex(All, s => s.Name == step);

    /// <summary>A runner of <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentException">No step has that name.</exception>
    public static IStepRunner CreateRunner(string step, StepSetup setup)
    {
        int index = IndexOf(step);
        if (index < 0) throw new ArgumentException($"the quantum graph has a step '{step}'; the pipeline's steps are {string.Join(", ", All.Select(s => s.Name))}");
        return All[index].Create(setup);
    }
}
