namespace ImageCore.Coadd;

/// <summary>The mask rules of a coadd, as bit masks in the coadd's mask planes.</summary>
internal sealed class StackRules
{
    public required CoaddStatistic Statistic { get; init; }
    public required double Sigma { get; init; }
    public required int Iterations { get; init; }
    /// <summary>Samples with any of these bits are rejected.</summary>
    public required int BadBits { get; init; }
    public required int NoData { get; init; }
    public required int Edge { get; init; }
    public required int Clipped { get; init; }
    public required int Rejected { get; init; }
    public required int SensorEdge { get; init; }
    public required int InexactPsf { get; init; }
    /// <summary>Bad bits with a propagation threshold below 1, and the thresholds.</summary>
    public required (int Bit, double Threshold)[] Thresholds { get; init; }
    /// <summary>Output variance from the inputs' variances (else from the scatter of the samples).</summary>
    public required bool UseInputVariance { get; init; }
}
