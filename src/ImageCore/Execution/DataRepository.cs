using System.Globalization;
using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>
/// The directory layout of a data repository, stated once: under <see cref="Root"/>,
/// <list type="bullet">
/// <item><c>raw/VVVVVV/DET.fits</c> and <c>calib/</c>: the inputs (<see cref="InputLayout"/>, which the simulator
/// writes by; this type forwards to it);</item>
/// <item><c>postisr/VVVVVV/DET.fits</c>: post-ISR exposures, per (visit, detector);</item>
/// <item><c>calexp/VVVVVV/DET.fits</c>: characterized exposures (background-subtracted, cosmic rays repaired, with
/// their PSF model and background), per (visit, detector);</item>
/// <item><c>warp/TTTTT/PPP/VVVVVV.fits</c>: direct warps, per (tract, patch, visit);</item>
/// <item><c>coadd/TTTTT/PPP.fits</c>: coadds, per (tract, patch);</item>
/// <item><c>report.json</c>: the run's report;</item>
/// <item><c>reports/STEP/NNNNN.json</c>: the report of each cluster run on its own (<see cref="ClusterRunner"/>).</item>
/// </list>
/// Visits are zero-padded to six digits, tracts to five, patches (their sequential index) to three; detectors go by
/// name. A run reads one repository's inputs and writes another's outputs (they may be the same directory). Paths are
/// <see cref="Path.Combine(string, string)"/> of the root as given, so a relative root gives relative paths. Nothing
/// here touches the disk except <see cref="FindRaws"/>.
/// </summary>
/// <param name="root">The repository's directory.</param>
public sealed class DataRepository(string root)
{
    /// <summary>The post-ISR exposures' directory under the root.</summary>
    public const string PostIsrDirectoryName = "postisr";

    /// <summary>The characterized exposures' directory under the root (Rubin's calexp).</summary>
    public const string CalexpDirectoryName = "calexp";

    /// <summary>The direct warps' directory under the root.</summary>
    public const string WarpDirectoryName = "warp";

    /// <summary>The PSF-matched warps' directory under the root.</summary>
    public const string PsfMatchedWarpDirectoryName = "psfmatchedwarp";

    /// <summary>The coadds' directory under the root.</summary>
    public const string CoaddDirectoryName = "coadd";

    /// <summary>The per-cluster reports' directory under the root.</summary>
    public const string ClusterReportDirectoryName = "reports";

    /// <summary>The report's file name under the root.</summary>
    public const string ReportFileName = "report.json";

    /// <summary>The repository's directory, as given.</summary>
    public string Root { get; } = root ?? throw new ArgumentNullException(nameof(root));

    /// <summary><c>ROOT/raw</c>.</summary>
    public string RawRoot => InputLayout.RawRoot(Root);

    /// <summary><c>ROOT/calib</c>: the directory a <see cref="CalibrationDirectory"/> reads.</summary>
    public string CalibrationRoot => InputLayout.CalibrationRoot(Root);

    /// <summary><c>ROOT/report.json</c>.</summary>
    public string ReportPath => Path.Combine(Root, ReportFileName);

    /// <summary><c>ROOT/reports/STEP/NNNNN.json</c>: the report of cluster <paramref name="index"/> of <paramref name="step"/>
    /// (<see cref="ClusterRunner"/>).</summary>
    public string ClusterReport(string step, int index)
    {
        ArgumentNullException.ThrowIfNull(step);
        return Path.Combine(Root, ClusterReportDirectoryName, step, index.ToString("00000", CultureInfo.InvariantCulture) + ".json");
    }

    /// <summary><c>ROOT/raw/VVVVVV/DET.fits</c>.</summary>
    public string Raw(int visit, string detector) => InputLayout.Raw(Root, visit, detector);

    /// <summary><c>ROOT/postisr/VVVVVV/DET.fits</c>.</summary>
    public string PostIsr(int visit, string detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        return Path.Combine(Root, PostIsrDirectoryName, InputLayout.VisitName(visit), detector + ".fits");
    }

    /// <summary><c>ROOT/calexp/VVVVVV/DET.fits</c>.</summary>
    public string Calexp(int visit, string detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        return Path.Combine(Root, CalexpDirectoryName, InputLayout.VisitName(visit), detector + ".fits");
    }

    /// <summary><c>ROOT/warp/TTTTT/PPP/VVVVVV.fits</c>.</summary>
    public string Warp(int tract, int patch, int visit) =>
        Path.Combine(Root, WarpDirectoryName, TractName(tract), PatchName(patch), InputLayout.VisitName(visit) + ".fits");

    /// <summary><c>ROOT/psfmatchedwarp/TTTTT/PPP/VVVVVV.fits</c>: the direct warp <see cref="Warp"/> matched to the model PSF.</summary>
    public string PsfMatchedWarp(int tract, int patch, int visit) =>
        Path.Combine(Root, PsfMatchedWarpDirectoryName, TractName(tract), PatchName(patch), InputLayout.VisitName(visit) + ".fits");

    /// <summary><c>ROOT/coadd/TTTTT/PPP.fits</c>.</summary>
    public string Coadd(int tract, int patch) => Path.Combine(Root, CoaddDirectoryName, TractName(tract), PatchName(patch) + ".fits");

    /// <summary>The suffix of an empty quantum's marker (<see cref="EmptyMarker"/>).</summary>
    public const string EmptyMarkerSuffix = ".empty";

    /// <summary><c>OUTPUT.empty</c>: written in place of <paramref name="output"/> by a quantum that ran and had nothing to
    /// write (a warp with no good pixel in its patch, a coadd whose warps were all empty; Rubin's NoWorkFound), so that a
    /// later run in another process (a batch job of the next step, a rerun) knows the output is absent by design.</summary>
    public static string EmptyMarker(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output + EmptyMarkerSuffix;
    }

    /// <summary>True when every output of <paramref name="quantum"/> is absent and has its <see cref="EmptyMarker"/>: the
    /// quantum ran, in this process or another, and had nothing to write.</summary>
    public static bool RanEmpty(Quantum quantum)
    {
        ArgumentNullException.ThrowIfNull(quantum);
        return quantum.Outputs.Count > 0 && quantum.Outputs.All(o => !File.Exists(o) && File.Exists(EmptyMarker(o)));
    }

    /// <summary>Records that <paramref name="quantum"/> ran and had nothing to write (<see cref="EmptyMarker"/>, one line
    /// saying why, written under a temporary name and renamed).</summary>
    internal static void MarkEmpty(Quantum quantum, string why)
    {
        foreach (string output in quantum.Outputs)
        {
            string marker = EmptyMarker(output);
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            string temp = marker + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, why + "\n");
            File.Move(temp, marker, overwrite: true);
        }
    }

    /// <summary>Removes the <see cref="EmptyMarker"/>s of <paramref name="quantum"/>'s outputs (it wrote them this time).</summary>
    internal static void ClearEmpty(Quantum quantum)
    {
        foreach (string output in quantum.Outputs) File.Delete(EmptyMarker(output));
    }

    /// <summary><paramref name="path"/> relative to the root, as the report lists outputs (<c>postisr/000003/R22_S11.fits</c>).</summary>
    public string Relative(string path) => Path.GetRelativePath(Root, path);

    /// <summary>Every <c>raw/*/*.fits</c>, directories and then files in ordinal order of their names (empty when there is
    /// no raw directory).</summary>
    public IReadOnlyList<string> FindRaws()
    {
        string raws = RawRoot;
        if (!Directory.Exists(raws)) return [];
        return Directory.GetDirectories(raws).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.fits").OrderBy(f => f, StringComparer.Ordinal)).ToList();
    }

    /// <summary>The visit of a raw's path (its directory's name), or null when that is not a visit number.</summary>
    public static int? VisitOfRaw(string rawPath)
    {
        ArgumentNullException.ThrowIfNull(rawPath);
        return InputLayout.TryParseVisit(Path.GetFileName(Path.GetDirectoryName(rawPath)) ?? "", out int visit) ? visit : null;
    }

    /// <inheritdoc/>
    public override string ToString() => Root;

    private static string TractName(int tract) => tract.ToString("00000", CultureInfo.InvariantCulture);

    private static string PatchName(int patch) => patch.ToString("000", CultureInfo.InvariantCulture);
}
