namespace ImageCore.Execution;

/// <summary>One group of consecutive visits of a cluster plan (<see cref="ClusterConfig"/>).</summary>
/// <param name="Index">The group's index, from 0.</param>
/// <param name="FirstVisit">Its lowest visit.</param>
/// <param name="LastVisit">Its highest visit.</param>
/// <param name="Visits">How many visits it has.</param>
public sealed record VisitGroup(int Index, int FirstVisit, int LastVisit, int Visits);
