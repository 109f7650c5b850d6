namespace ImageCore.Execution;

/// <summary>One step of a cluster plan: how many clusters (the job array's size) and quanta it has.</summary>
/// <param name="Name">The step.</param>
/// <param name="Clusters">Its clusters, indexed 0 to <c>Clusters - 1</c>.</param>
/// <param name="Quanta">Its quanta.</param>
public sealed record ClusterStepSummary(string Name, int Clusters, int Quanta);
