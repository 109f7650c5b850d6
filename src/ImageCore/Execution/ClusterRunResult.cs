namespace ImageCore.Execution;

/// <summary>What <see cref="ClusterRunner.Run"/> did with one cluster.</summary>
/// <param name="Cluster">The cluster.</param>
/// <param name="AlreadyDone">Its quanta whose outputs existed and verified (FITS checksums), which were not run again.</param>
/// <param name="Report">The report of the quanta that ran (also written to the cluster's report file), or null when every
/// quantum was already done and nothing ran or was written.</param>
public sealed record ClusterRunResult(QuantumCluster Cluster, IReadOnlyList<string> AlreadyDone, PipelineReport? Report);
