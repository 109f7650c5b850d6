namespace ImageCore.Execution;

/// <summary>How a quantum ended.</summary>
internal enum QuantumOutcome
{
    /// <summary>It wrote its outputs.</summary>
    Succeeded,

    /// <summary>It threw; the message is the error.</summary>
    Failed,

    /// <summary>It was not run because an input was not made upstream; the message says which.</summary>
    Skipped,

    /// <summary>It ran and had nothing to write (a warp with no good pixel in its patch).</summary>
    Empty,
}

/// <summary>How a quantum ended, what the report lists as its inputs, and the error or why it was skipped or empty.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Inputs">The files the report lists for it: those it read, or, when skipped, what the quanta it waited on read.</param>
/// <param name="Message">Empty when it succeeded.</param>
internal sealed record QuantumResult(QuantumOutcome Outcome, IReadOnlyList<string> Inputs, string Message)
{
    /// <summary>It wrote its outputs from <paramref name="inputs"/>.</summary>
    public static QuantumResult Done(IReadOnlyList<string> inputs) => new(QuantumOutcome.Succeeded, inputs, "");

    /// <summary>It failed with <paramref name="error"/>.</summary>
    public static QuantumResult Failure(IReadOnlyList<string> inputs, string error) => new(QuantumOutcome.Failed, inputs, error);
}
