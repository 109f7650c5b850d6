namespace ImageCore.Execution;

/// <summary>
/// Runs the quanta of one step of a <see cref="QuantumGraph"/> (<see cref="PipelineSteps"/> lists them). The pipeline
/// makes one per step after planning, hands it that step's quanta on its workers, calls <see cref="Finish"/> when the
/// step's last quantum is done, and disposes it when the run ends.
/// </summary>
internal interface IStepRunner : IDisposable
{
    /// <summary>Runs <paramref name="quantum"/>, concurrently with the step's other quanta. The quantum's own failure (a
    /// bad input, an error in the algorithm) is a <see cref="QuantumOutcome.Failed"/> result, not an exception; a quantum
    /// whose inputs were not made upstream is <see cref="QuantumOutcome.Skipped"/> without running.</summary>
    /// <exception cref="OperationCanceledException">The run was cancelled; nothing is left half-written.</exception>
    QuantumResult Run(Quantum quantum);

    /// <summary>Called once, when every quantum of the step has finished: adds what only this step knows to the report
    /// (ISR: the calibration cache's counters) and lets go of what only this step needed.</summary>
    void Finish(PipelineReportBuilder report);
}
