using System.Collections.Concurrent;

namespace ImageCore.Execution;

/// <summary>
/// The quanta a run takes from its graph (all, or a selection) and how each has ended so far; step runners ask it
/// whether an upstream quantum's outputs are there to read. Thread-safe.
/// </summary>
internal sealed class QuantumRunState(QuantumGraph graph, IReadOnlySet<string>? selection)
{
    private readonly ConcurrentDictionary<string, QuantumOutcome> _outcomes = new(StringComparer.Ordinal);

    /// <summary>The graph.</summary>
    public QuantumGraph Graph { get; } = graph;

    /// <summary>True when the run takes every quantum of the graph.</summary>
    public bool Whole => selection is null;

    /// <summary>The quanta of <paramref name="step"/> this run takes, in the graph's order.</summary>
    public IReadOnlyList<Quantum> QuantaOf(string step) =>
        Graph.Quanta.Where(q => q.Step == step && (selection is null || selection.Contains(q.Id))).ToList();

    /// <summary>Records how <paramref name="quantum"/> ended.</summary>
    public void Record(Quantum quantum, QuantumOutcome outcome) => _outcomes[quantum.Id] = outcome;

    /// <summary>How the quantum <paramref name="id"/> ended in this run, or null when this run has not run it.</summary>
    public QuantumOutcome? OutcomeOf(string id) => _outcomes.TryGetValue(id, out var o) ? o : null;

    /// <summary>The quanta of <paramref name="step"/> that succeeded in this run.</summary>
    public IEnumerable<Quantum> Succeeded(string step) =>
        Graph.Quanta.Where(q => q.Step == step && OutcomeOf(q.Id) == QuantumOutcome.Succeeded);

    /// <summary>True when <paramref name="quantum"/> ran and had nothing to write: in this run, or in an earlier one that this
    /// run did not redo (<see cref="DataRepository.RanEmpty"/>).</summary>
    public bool IsEmpty(Quantum quantum) =>
        OutcomeOf(quantum.Id) is { } outcome ? outcome == QuantumOutcome.Empty : DataRepository.RanEmpty(quantum);

    /// <summary>Why the outputs of <paramref name="upstream"/> are not there to read, or null when they are: it succeeded in
    /// this run, or this run did not run it and every output exists (an earlier run made them).</summary>
    public string? Missing(Quantum upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return OutcomeOf(upstream.Id) switch
        {
            QuantumOutcome.Succeeded => null,
            QuantumOutcome.Failed => $"{upstream.DataId} failed {upstream.Step.ToUpperInvariant()}",
            QuantumOutcome.Skipped => $"{upstream.DataId} was skipped in {upstream.Step}",
            QuantumOutcome.Empty => $"{upstream.DataId} had nothing to write in {upstream.Step}",
            _ when DataRepository.RanEmpty(upstream) => $"{upstream.DataId} had nothing to write in {upstream.Step}",
            _ => upstream.Outputs.FirstOrDefault(o => !File.Exists(o)) is { } absent ? $"{upstream.DataId} was not run here and {absent} does not exist" : null,
        };
    }
}
