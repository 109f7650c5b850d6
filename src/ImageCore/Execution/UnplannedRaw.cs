namespace ImageCore.Execution;

/// <summary>A raw whose header could not be read when the graph was planned, so that neither its detector nor its
/// footprint is known: it has no quantum, its step reports it as failed, and every warp of its visit is skipped (it
/// might have covered the patch).</summary>
/// <param name="Step">The step it would have been a quantum of (<c>isr</c>).</param>
/// <param name="Name">How the report names it: the visit directory and the file name (<c>000003 R22_S11.fits</c>).</param>
/// <param name="Path">The raw's path.</param>
/// <param name="Visit">The visit its directory names, or null when the directory's name is not a visit number.</param>
/// <param name="Message">Why (<c>cannot plan: </c> and the error).</param>
public sealed record UnplannedRaw(string Step, string Name, string Path, int? Visit, string Message);
