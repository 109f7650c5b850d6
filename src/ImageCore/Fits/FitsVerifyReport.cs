namespace ImageCore.Fits;

/// <summary>What <see cref="FitsVerifier"/> found in one file.</summary>
/// <param name="File">The file name as given.</param>
/// <param name="HduCount">HDUs whose header was found (complete or not).</param>
/// <param name="Findings">Every error and warning, in file order.</param>
public sealed record FitsVerifyReport(string File, int HduCount, IReadOnlyList<FitsFinding> Findings)
{
    /// <summary>Number of errors.</summary>
    public int ErrorCount => Findings.Count(f => f.Severity == FitsFindingSeverity.Error);

    /// <summary>Number of warnings.</summary>
    public int WarningCount => Findings.Count(f => f.Severity == FitsFindingSeverity.Warning);

    /// <summary>True when nothing is an error (warnings allowed): fitsverify's "no error" verdict.</summary>
    public bool Conforms => ErrorCount == 0;
}
