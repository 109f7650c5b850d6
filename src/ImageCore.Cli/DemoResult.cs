using ImageCore.Execution;

namespace ImageCore.Cli;

/// <summary>What <c>imagecore demo</c> made.</summary>
/// <param name="Data">The simulated data directory (raw/, calib/, truth/).</param>
/// <param name="Run">The pipeline's output directory (postisr/, warp/, coadd/, report.json).</param>
/// <param name="Report">The pipeline's report.</param>
/// <param name="Previews">PNG previews: a raw, a post-ISR exposure, a warp and a coadd.</param>
internal sealed record DemoResult(string Data, string Run, PipelineReport Report, IReadOnlyList<string> Previews);
