namespace ImageCore.Execution;

/// <summary>
/// A cluster plan's <c>plan.json</c> (<see cref="PlanDirectory"/>): the steps in order with their cluster and quantum
/// counts, the visit groups and the clustering settings.
/// </summary>
/// <param name="Version">The plan format (<see cref="ClusterPlan.FormatVersion"/>).</param>
/// <param name="Data">The graph's data repository.</param>
/// <param name="Output">The graph's output repository.</param>
/// <param name="VisitsPerGroup">The clustering's <see cref="ClusterConfig.VisitsPerGroup"/>.</param>
/// <param name="IsrKey">The clustering's <see cref="ClusterConfig.IsrKey"/>, lower case (<c>detector</c>, <c>visit</c>).</param>
/// <param name="Quanta">The graph's quanta.</param>
/// <param name="Steps">The steps, in the order they run.</param>
/// <param name="Groups">The visit groups, in visit order.</param>
public sealed record ClusterPlanSummary(int Version, string Data, string Output, int VisitsPerGroup, string IsrKey, int Quanta,
                                        IReadOnlyList<ClusterStepSummary> Steps, IReadOnlyList<VisitGroup> Groups);
