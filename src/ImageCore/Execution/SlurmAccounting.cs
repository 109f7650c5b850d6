using System.Globalization;

namespace ImageCore.Execution;

/// <summary>
/// Reads Slurm's own records of array tasks without its accounting database (slurmdbd), which <c>sacct</c> needs:
/// <c>squeue -r -t all</c> while slurmctld remembers the job (one line per index, pending ones too), and afterwards the
/// <c>jobcomp/filetxt</c> file (<c>JobCompLoc</c>), which gets one line per finished task (<c>ArrayJobId=</c>,
/// <c>ArrayTaskId=</c>, <c>JobState=</c>) and one line without a task id for an array cancelled while its tasks pended.
/// </summary>
public static class SlurmAccounting
{
    /// <summary>The squeue format <see cref="ParseSqueue"/> reads: array job id, task index, state, job id.</summary>
    public const string SqueueFormat = "%F|%K|%T|%A";

    private static readonly string[] JobCompKeys =
    [
        "JobId", "UserId", "GroupId", "Name", "JobState", "Partition", "TimeLimit", "StartTime", "EndTime", "NodeList", "NodeCnt", "ProcCnt",
        "WorkDir", "ReservationName", "Tres", "Account", "QOS", "WcKey", "Cluster", "SubmitTime", "EligibleTime", "ArrayJobId", "ArrayTaskId",
        "DerivedExitCode", "ExitCode",
    ];

    /// <summary>The lines of <c>squeue -h -r -t all -o '%F|%K|%T|%A'</c>; a job that is not an array (index <c>N/A</c>)
    /// gets a null index. Lines that do not have four fields are ignored.</summary>
    public static IReadOnlyList<SlurmTaskRecord> ParseSqueue(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = new List<SlurmTaskRecord>();
        foreach (string raw in text.Split('\n'))
        {
            var f = raw.Trim().Split('|');
            if (f.Length != 4 || f[0].Length == 0) continue;
            int? index = int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : null;
            records.Add(new SlurmTaskRecord(f[0], index, StateWord(f[2]), "squeue"));
        }
        return records;
    }

    /// <summary>The lines of a <c>jobcomp/filetxt</c> file: array tasks by <c>ArrayJobId</c> and <c>ArrayTaskId</c>; a line
    /// without them (a job that is not an array, or an array cancelled while pending) by its <c>JobId</c>, with a null
    /// index. Values may hold spaces (a job name, a directory), so a line is split at the known <c> Key=</c> names.</summary>
    public static IReadOnlyList<SlurmTaskRecord> ParseJobComp(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = new List<SlurmTaskRecord>();
        foreach (string line in text.Split('\n'))
        {
            var fields = Fields(line.TrimEnd('\r'));
            if (!fields.TryGetValue("JobId", out string? jobId) || !fields.TryGetValue("JobState", out string? state)) continue;
            if (fields.TryGetValue("ArrayJobId", out string? array) && array.Length > 0 && array != "0"
                && fields.TryGetValue("ArrayTaskId", out string? task) && int.TryParse(task, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                records.Add(new SlurmTaskRecord(array, index, StateWord(state), "jobcomp"));
            else
                records.Add(new SlurmTaskRecord(jobId, null, StateWord(state), "jobcomp"));
        }
        return records;
    }

    /// <summary>True for a state in which a task may still run: pending, running, or on its way between them.</summary>
    public static bool IsActive(string state) =>
        state is "PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING" or "SUSPENDED" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED"
            or "RESIZING" or "SIGNALING" or "STAGE_OUT" or "STOPPED" or "RESV_DEL_HOLD";

    private static string StateWord(string state)
    {
        string s = state.Trim();
        int space = s.IndexOf(' ', StringComparison.Ordinal);
        return (space < 0 ? s : s[..space]).ToUpperInvariant();
    }

    private static Dictionary<string, string> Fields(string line)
    {
        var starts = new List<(int At, string Key)>();
        foreach (string key in JobCompKeys)
        {
            if (line.StartsWith(key + "=", StringComparison.Ordinal)) starts.Add((0, key));
            int at = line.IndexOf(" " + key + "=", StringComparison.Ordinal);
            if (at >= 0) starts.Add((at + 1, key));
        }
        starts.Sort((a, b) => a.At.CompareTo(b.At));
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < starts.Count; i++)
        {
            int from = starts[i].At + starts[i].Key.Length + 1, to = i + 1 < starts.Count ? starts[i + 1].At - 1 : line.Length;
            if (to >= from) fields.TryAdd(starts[i].Key, line[from..to]);
        }
        return fields;
    }
}
