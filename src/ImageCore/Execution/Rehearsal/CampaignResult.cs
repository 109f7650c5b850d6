namespace ImageCore.Execution.Rehearsal;

/// <summary>One step of a simulated campaign.</summary>
/// <param name="Name">isr, or the visit-level step's name.</param>
/// <param name="Quanta">Quanta run.</param>
/// <param name="Jobs">Jobs they were grouped into (one core each, quanta one after another).</param>
/// <param name="StartSeconds">When the step started (simulated seconds from the night's start).</param>
/// <param name="MakespanSeconds">From its start to its last quantum's end.</param>
/// <param name="PeakConcurrency">The most jobs running at once.</param>
/// <param name="MeanConcurrency">Busy core-seconds over the makespan.</param>
/// <param name="IdleCoreFraction">The share of all cores' time in the step spent idle (1 - mean concurrency / cores).</param>
/// <param name="BusyCoreSeconds">Core-seconds inside jobs (computing or waiting for the store).</param>
/// <param name="WaitCoreSeconds">Of those, core-seconds waiting for calibrations (the store's latency, its link, a read under way).</param>
public sealed record CampaignStepResult(string Name, int Quanta, int Jobs, double StartSeconds, double MakespanSeconds, int PeakConcurrency,
                                        double MeanConcurrency, double IdleCoreFraction, double BusyCoreSeconds, double WaitCoreSeconds);

/// <summary>What a simulated campaign did: the store's reads, the caches' counters (summed over nodes) and the steps.</summary>
/// <param name="Cache">Each node's cache policy (text form).</param>
/// <param name="Order">The quantum order (text form).</param>
/// <param name="Clustering">How quanta became jobs (after <see cref="CampaignClustering.Auto"/> is resolved).</param>
/// <param name="Nodes">Nodes.</param>
/// <param name="CoresPerNode">Cores per node.</param>
/// <param name="Visits">Visits.</param>
/// <param name="Detectors">Detectors per visit.</param>
/// <param name="StoreReads">Files read from the shared store (a missing optional dataset is not a read).</param>
/// <param name="StoreBytes">Bytes read from the shared store.</param>
/// <param name="Hits">Cache hits, all nodes.</param>
/// <param name="Misses">Cache misses, all nodes.</param>
/// <param name="Evictions">Cache evictions, all nodes.</param>
/// <param name="MakespanSeconds">The whole night, first quantum's start to the last one's end.</param>
/// <param name="Steps">Per step.</param>
/// <param name="CatalogSource">Where the calibration sizes came from.</param>
/// <param name="SimulationSeconds">Wall time the simulation itself took.</param>
public sealed record CampaignResult(string Cache, string Order, string Clustering, int Nodes, int CoresPerNode, int Visits, int Detectors,
                                    long StoreReads, long StoreBytes, long Hits, long Misses, long Evictions, double MakespanSeconds,
                                    IReadOnlyList<CampaignStepResult> Steps, string CatalogSource, double SimulationSeconds);
