using System.Globalization;
using System.Text.Json;

namespace ImageCore.Execution;

/// <summary>
/// <c>PLAN/slurm/jobs.json</c>: every sbatch of a campaign (<see cref="SlurmJobRecord"/>), the first submission and each
/// resubmission, in submission order; nothing is ever removed, so the file is the campaign's history and the one place
/// its jobs are found (status, cancel). Format version 2; version 1 (the first submission only, every index) is read too.
/// Written under a temporary name and renamed.
/// </summary>
public static class SlurmJobsFile
{
    /// <summary>The version this code writes.</summary>
    public const int FormatVersion = 2;

    /// <summary>The campaign's jobs, or an empty list when nothing was submitted (no file).</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="JsonException">Not a jobs file, or a version this code does not read.</exception>
    public static IReadOnlyList<SlurmJobRecord> Read(string planDir)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        string path = SlurmScripts.JobsPath(planDir);
        if (!File.Exists(path)) return [];
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        try
        {
            int version = root.GetProperty("version").GetInt32();
            if (version is not (1 or 2)) throw new JsonException($"{path}: version {version}; this ImageCore reads versions 1 and 2");
            var jobs = new List<SlurmJobRecord>();
            foreach (var e in root.GetProperty("jobs").EnumerateArray())
            {
                int count = e.GetProperty("count").GetInt32();
                jobs.Add(new SlurmJobRecord(
                    e.GetProperty("step").GetString() ?? throw new JsonException($"{path}: a job without a step"),
                    e.GetProperty("chunk").GetInt32(), e.GetProperty("offset").GetInt32(), count,
                    e.GetProperty("script").GetString() ?? throw new JsonException($"{path}: a job without a script"),
                    e.GetProperty("jobId").GetString() ?? throw new JsonException($"{path}: a job without a job id"),
                    version == 1 ? Enumerable.Range(0, count).ToList() : e.GetProperty("indexes").EnumerateArray().Select(i => i.GetInt32()).ToList(),
                    version == 1 ? 0 : e.GetProperty("submission").GetInt32(),
                    version == 1 ? [] : e.GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString() ?? "").ToList()));
            }
            return jobs;
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new JsonException($"{path}: not a jobs file ({e.Message})", e);
        }
    }

    /// <summary>Writes <paramref name="jobs"/> as the campaign's jobs (replacing the file).</summary>
    /// <exception cref="IOException">Writing failed (the old file is left as it was).</exception>
    public static void Write(string planDir, IReadOnlyList<SlurmJobRecord> jobs)
    {
        ArgumentNullException.ThrowIfNull(planDir);
        ArgumentNullException.ThrowIfNull(jobs);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", FormatVersion);
            w.WriteStartArray("jobs");
            foreach (var job in jobs)
            {
                w.WriteStartObject();
                w.WriteString("step", job.Step);
                w.WriteNumber("chunk", job.Chunk);
                w.WriteNumber("offset", job.Offset);
                w.WriteNumber("count", job.Count);
                w.WriteString("script", job.Script);
                w.WriteString("jobId", job.JobId);
                w.WriteNumber("submission", job.Submission);
                w.WriteStartArray("indexes");
                foreach (int i in job.Indexes) w.WriteNumberValue(i);
                w.WriteEndArray();
                w.WriteStartArray("dependsOn");
                foreach (string d in job.DependsOn) w.WriteStringValue(d);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        string path = SlurmScripts.JobsPath(planDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, buffer.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary><paramref name="indexes"/> as sbatch's <c>--array</c> list: ascending, runs of three or more as ranges
    /// (<c>0-3,5,7,8</c>).</summary>
    /// <exception cref="ArgumentException">No index, or a negative one.</exception>
    public static string ArrayList(IEnumerable<int> indexes)
    {
        ArgumentNullException.ThrowIfNull(indexes);
        var sorted = indexes.Distinct().Order().ToList();
        if (sorted.Count == 0) throw new ArgumentException("an array needs at least one index");
        if (sorted[0] < 0) throw new ArgumentException($"array index {sorted[0]} is negative");
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            if (j - i >= 2) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}-{sorted[j]}"));
            else for (int k = i; k <= j; k++) parts.Add(sorted[k].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        return string.Join(',', parts);
    }
}
