namespace ImageCore.Tests.Support;

/// <summary>Tests that compare a process-wide counter before and after (the shared plane pool's outstanding planes) run
/// alone, so that no other test's planes are counted.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCountersCollection
{
    public const string Name = "Process-wide counters";
}
