using ImageCore.Characterize;
using ImageCore.Coadd;
using ImageCore.Isr;
using ImageCore.Warp;

namespace ImageCore.Execution;

/// <summary>The steps of <c>imagecore run</c>, in order.</summary>
public enum PipelineStep
{
    /// <summary>Instrument signature removal, one quantum per (visit, detector).</summary>
    Isr,

    /// <summary>Characterization (background, cosmic rays, detection, PSF model), one quantum per (visit, detector).</summary>
    Characterize,

    /// <summary>Direct warps, one quantum per (tract, patch, visit).</summary>
    Warp,

    /// <summary>PSF-matched warps (each direct warp matched to the model PSF), one quantum per (tract, patch, visit).</summary>
    PsfMatch,

    /// <summary>Coadds, one quantum per (tract, patch).</summary>
    Coadd,
}

/// <summary>What <see cref="Pipeline"/> does with a data directory: the settings of each stage and how many threads. Messages
/// name settings by their path here (<c>PipelineConfig.Threads</c>); the command line maps them to its options.</summary>
public sealed record PipelineConfig
{
    /// <summary>Quanta run concurrently on up to this many threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Where the workers run: <c>none</c> (the OS decides, the default), <c>compact</c>,
    /// <c>spread</c> or <c>l3:K</c>; each worker is a dedicated thread that pins itself (<see cref="PinnedWorkerPool"/>).</summary>
    public PlacementPolicy Placement { get; init; } = PlacementPolicy.None;

    /// <summary>The root that plays <c>/sys</c> for topology discovery (tests and rehearsals of other machines plan
    /// placements on a fixture tree; pinning still happens on this machine).</summary>
    public string SysfsRoot { get; init; } = "/sys";

    /// <summary>The order quanta are taken in (visit-major by default; <c>detector</c> or <c>groups:G</c> cluster each
    /// detector's ISR quanta and each patch's warps).</summary>
    public QuantumOrder Order { get; init; } = QuantumOrder.VisitMajor;

    /// <summary>What the calibration cache in front of the calibration store keeps. Cached calibrations are held in
    /// memory (about their file size each); the default, <c>bytes:4GB</c>, holds the bias, dark and flat of about six
    /// full-size detectors, or every detector of a scaled simulation.</summary>
    public CachePolicy Cache { get; init; } = CachePolicy.Parse("bytes:4GB");

    /// <summary>Per-read latency and aggregate bandwidth of the calibration store (the shared "embargo rack" of a
    /// rehearsal); unthrottled by default.</summary>
    public ThrottledStoreConfig CalibrationStore { get; init; } = new();

    /// <summary>The last step run: ISR only, through characterization, through the warps, or everything (the default).</summary>
    public PipelineStep Until { get; init; } = PipelineStep.Coadd;

    /// <summary>ISR settings.</summary>
    public IsrConfig Isr { get; init; } = new();

    /// <summary>Characterization settings, at full scale: a run on scaled simulations applies
    /// <see cref="CharacterizeConfig.ForScale"/> with the data's scale.</summary>
    public CharacterizeConfig Characterize { get; init; } = new();

    /// <summary>Warp settings (lanczos3, interpLength 10).</summary>
    public WarpConfig Warp { get; init; } = new();

    /// <summary>PSF-matching settings (Rubin's makePsfMatchedWarp for LSSTCam: a 9 px double-Gaussian model, 41 px
    /// Alard-Lupton kernels). In pixels, at every scale: the simulator's seeing scales with its pixels.</summary>
    public ModelPsfMatchConfig PsfMatch { get; init; } = new();

    /// <summary>Coadd settings: the statistic (CompareWarp by default, as Rubin's assembleDeepCoadd; MEAN, MEANCLIP and
    /// MEDIAN read the direct warps alone), the bad planes and the rest of the stack's settings.</summary>
    public CoaddConfig Coadd { get; init; } = new() { Statistic = CoaddStatistic.CompareWarp };

    /// <summary>The CompareWarp coadd's artifact search (its final MEAN takes <see cref="Coadd"/>'s settings).</summary>
    public CompareWarpConfig CompareWarp { get; init; } = new();

    /// <summary>Pixels the direct warps grow each patch's outer box by, at full scale (divided by the data's scale).</summary>
    public int WarpBorder { get; init; } = DirectWarp.Border;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting when one is out of range: a
    /// <see cref="ConfigException"/> with its full path (<c>PipelineConfig.Threads</c>), or a null setting's name.</summary>
    public void Validate()
    {
        if (Threads < 1) throw new ConfigException("PipelineConfig.Threads", Threads, "must be >= 1");
        ArgumentNullException.ThrowIfNull(Order);
        ArgumentNullException.ThrowIfNull(Placement);
        ArgumentNullException.ThrowIfNull(SysfsRoot);
        ArgumentNullException.ThrowIfNull(Cache);
        ArgumentNullException.ThrowIfNull(CalibrationStore);
        if (Isr is null) throw new ConfigException("PipelineConfig.Isr", null, "is null; it must be a section (leave it out for the defaults)");
        if (Characterize is null) throw new ConfigException("PipelineConfig.Characterize", null, "is null; it must be a section (leave it out for the defaults)");
        if (Warp is null) throw new ConfigException("PipelineConfig.Warp", null, "is null; it must be a section (leave it out for the defaults)");
        if (PsfMatch is null) throw new ConfigException("PipelineConfig.PsfMatch", null, "is null; it must be a section (leave it out for the defaults)");
        if (Coadd is null) throw new ConfigException("PipelineConfig.Coadd", null, "is null; it must be a section (leave it out for the defaults)");
        Cache.Validate();
        if (!Enum.IsDefined(Until)) throw new ConfigException("PipelineConfig.Until", (int)Until, "must be Isr, Characterize, Warp, PsfMatch or Coadd");
        CalibrationStore.Validate();
        if (WarpBorder < 0) throw new ConfigException("PipelineConfig.WarpBorder", WarpBorder, "must be >= 0");
        Isr.Validate();
        Characterize.Validate();
        Warp.Validate();
        PsfMatch.Validate("PipelineConfig.PsfMatch");
        Coadd.Validate();
        if (CompareWarp is null) throw new ConfigException("PipelineConfig.CompareWarp", null, "is null; it must be a section (leave it out for the defaults)");
        CompareWarp.Validate("PipelineConfig.CompareWarp");
    }
}
