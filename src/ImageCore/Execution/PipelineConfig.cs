using ImageCore.Coadd;
using ImageCore.Isr;
using ImageCore.Warp;

namespace ImageCore.Execution;

/// <summary>What <c>imagecore run</c> does with a data directory: the settings of each stage and how many threads.</summary>
public sealed record PipelineConfig
{
    /// <summary>Quanta run concurrently on up to this many threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The order quanta are taken in (visit-major by default; <c>detector</c> or <c>groups:G</c> cluster each
    /// detector's ISR quanta and each patch's warps).</summary>
    public QuantumOrder Order { get; init; } = QuantumOrder.VisitMajor;

    /// <summary>ISR settings.</summary>
    public IsrConfig Isr { get; init; } = new();

    /// <summary>Warp settings (lanczos3, interpLength 10).</summary>
    public WarpConfig Warp { get; init; } = new();

    /// <summary>Coadd settings (MEANCLIP, as Rubin's assembleCoadd).</summary>
    public CoaddConfig Coadd { get; init; } = new();

    /// <summary>Pixels the direct warps grow each patch's outer box by, at full scale (divided by the data's scale).</summary>
    public int WarpBorder { get; init; } = DirectWarp.Border;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting when one is out of range.</summary>
    public void Validate()
    {
        if (Threads < 1) throw new ArgumentException($"--threads must be >= 1 (is {Threads})");
        ArgumentNullException.ThrowIfNull(Order);
        if (WarpBorder < 0) throw new ArgumentException($"the warp border must be >= 0 (is {WarpBorder})");
        Isr.Validate();
        Warp.Validate();
        Coadd.Validate();
    }
}
