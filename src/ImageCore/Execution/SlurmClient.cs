using System.ComponentModel;
using System.Diagnostics;

namespace ImageCore.Execution;

/// <summary>
/// The Slurm commands a campaign uses (<c>sbatch</c>, <c>squeue</c>, <c>scancel</c>, <c>scontrol</c>), run as processes
/// from the <c>PATH</c> with the environment's <c>SLURM_CONF</c>. Each call waits for the command and throws
/// <see cref="IOException"/> with its standard error when it fails.
/// </summary>
public sealed class SlurmClient
{
    /// <summary><c>sbatch --parsable ARGS</c>: the job id it printed.</summary>
    /// <exception cref="IOException">sbatch cannot be run, or failed.</exception>
    /// <exception cref="FormatException">It printed no job id.</exception>
    public string Submit(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return SlurmScripts.ParseJobId(Run("sbatch", args));
    }

    /// <summary>Every array task and job slurmctld still remembers (pending, running, and finished ones for its
    /// <c>MinJobAge</c>): <c>squeue -h -r -t all -o '%F|%K|%T|%A'</c>, parsed by <see cref="SlurmAccounting.ParseSqueue"/>.</summary>
    /// <exception cref="IOException">squeue cannot be run, or failed.</exception>
    public IReadOnlyList<SlurmTaskRecord> Queue() => SlurmAccounting.ParseSqueue(Run("squeue", ["-h", "-r", "-t", "all", "-o", SlurmAccounting.SqueueFormat]));

    /// <summary>The file the cluster's <c>jobcomp/filetxt</c> plugin appends finished jobs to (<c>JobCompLoc</c>), or null
    /// when the cluster keeps no such file (another JobCompType) or it does not exist here.</summary>
    /// <exception cref="IOException">scontrol cannot be run, or failed.</exception>
    public string? JobCompletionFile()
    {
        string? type = null, location = null;
        foreach (string line in Run("scontrol", ["show", "config"]).Split('\n'))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) continue;
            string key = line[..eq].Trim(), value = line[(eq + 1)..].Trim();
            if (key == "JobCompType") type = value;
            else if (key == "JobCompLoc") location = value;
        }
        return type == "jobcomp/filetxt" && location is { Length: > 0 } && File.Exists(location) ? location : null;
    }

    /// <summary><c>scancel IDS</c>.</summary>
    /// <exception cref="IOException">scancel cannot be run, or failed.</exception>
    public void Cancel(IReadOnlyList<string> jobIds)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        if (jobIds.Count > 0) Run("scancel", jobIds);
    }

    private static string Run(string command, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new IOException($"{command} did not start");
        }
        catch (Win32Exception e)
        {
            throw new IOException($"cannot run {command}: {e.Message} (is Slurm installed and SLURM_CONF set?)", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new IOException($"{command} {string.Join(' ', args)} failed (exit {process.ExitCode}): {stderr.Result.Trim()}");
            return stdout;
        }
    }
}
