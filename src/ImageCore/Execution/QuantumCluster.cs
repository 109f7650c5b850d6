namespace ImageCore.Execution;

/// <summary>
/// Quanta of one step that run together, as one job of a batch system's job array (<see cref="QuantumClusterer"/>):
/// ISR quanta of one detector (or one visit) within a group of visits, the warps of one (tract, visit), the coadd of one
/// patch. Its <see cref="Index"/> is its place among its step's clusters, which is the job array's index.
/// </summary>
/// <param name="Id">Unique in its plan: the step and the index, <c>isr/00012</c>.</param>
/// <param name="Step">The step of its quanta.</param>
/// <param name="Index">Its index among its step's clusters, from 0.</param>
/// <param name="Key">What its quanta share, in words: <c>group 3 detector R22_S11</c>, <c>group 3 visit 45</c>,
/// <c>tract 9813 visit 45</c>, <c>tract 9813 patch 45</c>.</param>
/// <param name="Quanta">The ids of its quanta, in the graph's order.</param>
/// <param name="DependsOn">The ids of the clusters (of earlier steps) that hold the quanta its quanta depend on, in ordinal
/// order: it can run once they have.</param>
public sealed record QuantumCluster(string Id, string Step, int Index, string Key, IReadOnlyList<string> Quanta, IReadOnlyList<string> DependsOn);
