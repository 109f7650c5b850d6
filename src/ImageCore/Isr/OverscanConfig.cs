namespace ImageCore.Isr;

/// <summary>How the serial overscan level is modelled (ip_isr's <c>fitType</c>).</summary>
public enum OverscanFitType
{
    /// <summary>One value: the mean of the (clipped) overscan pixels.</summary>
    Mean,
    /// <summary>One value: the median of the overscan pixels.</summary>
    Median,
    /// <summary>One value per row: the mean of the row's unmasked pixels.</summary>
    MeanPerRow,
    /// <summary>One value per row: the median of the row's unmasked pixels (the LSSTCam default).</summary>
    MedianPerRow,
    /// <summary>A least-squares polynomial in the row index (scaled to [-1, 1]) through the per-row medians.</summary>
    Polynomial,
}

/// <summary>Serial overscan correction (ISR step 4), defaults as IsrTaskLSST's for LSSTCam.</summary>
public sealed record OverscanConfig
{
    /// <summary>Subtract the serial overscan.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The model of the overscan level.</summary>
    public OverscanFitType FitType { get; init; } = OverscanFitType.MedianPerRow;

    /// <summary>Overscan columns skipped next to the imaging pixels (charge trailing from the data).</summary>
    public int LeadingToSkip { get; init; } = 3;

    /// <summary>Overscan columns skipped at the far end.</summary>
    public int TrailingToSkip { get; init; } = 3;

    /// <summary>Per-row clipping threshold, in robust sigma (0.74 x IQR).</summary>
    public double NumSigmaClip { get; init; } = 3;

    /// <summary>Pixels further than this from the overscan median are masked first, ADU.</summary>
    public double MaxDeviation { get; init; } = 1000;

    /// <summary>Polynomial order for <see cref="OverscanFitType.Polynomial"/>.</summary>
    public int PolynomialOrder { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for out-of-range values.</summary>
    public void Validate()
    {
        if (LeadingToSkip < 0 || TrailingToSkip < 0)
            throw new ArgumentException($"OverscanConfig.LeadingToSkip/TrailingToSkip must be >= 0 (are {LeadingToSkip}/{TrailingToSkip})");
        if (!(NumSigmaClip > 0)) throw new ArgumentException($"OverscanConfig.NumSigmaClip must be > 0 (is {NumSigmaClip})");
        if (!(MaxDeviation > 0)) throw new ArgumentException($"OverscanConfig.MaxDeviation must be > 0 ADU (is {MaxDeviation})");
        if (PolynomialOrder is < 0 or > 10) throw new ArgumentException($"OverscanConfig.PolynomialOrder must be 0..10 (is {PolynomialOrder})");
    }
}
