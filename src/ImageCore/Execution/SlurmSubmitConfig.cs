namespace ImageCore.Execution;

/// <summary>How <see cref="SlurmScripts"/> writes a plan's sbatch scripts: the resources each array task asks for and the
/// command it runs.</summary>
public sealed record SlurmSubmitConfig
{
    /// <summary>The <c>imagecore</c> executable each array task runs (an absolute path on the compute nodes).</summary>
    public required string Executable { get; init; }

    /// <summary>The data directory (<c>run --data</c>).</summary>
    public required string Data { get; init; }

    /// <summary>The output directory (<c>run --out</c>).</summary>
    public required string Output { get; init; }

    /// <summary>The partition (<c>#SBATCH --partition</c>), or null for the cluster's default.</summary>
    public string? Partition { get; init; }

    /// <summary>CPUs of each array task (<c>#SBATCH --cpus-per-task</c>; the task runs with as many <c>--threads</c>). Slurm's
    /// task/affinity plugin binds each task to its CPUs; nothing is pinned beyond that.</summary>
    public int CpusPerTask { get; init; } = 1;

    /// <summary>Memory per CPU in MB (<c>#SBATCH --mem-per-cpu</c>), or null for the cluster's default.</summary>
    public int? MemPerCpuMb { get; init; }

    /// <summary>At most this many tasks of one array run at once (<c>--array=...%N</c>), or null for no limit.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>The largest array: a step with more clusters gets several arrays (Slurm's <c>MaxArraySize</c> is 1001 by
    /// default, so indices 0 to 1000).</summary>
    public int MaxArraySize { get; init; } = 1001;

    /// <summary>Throws <see cref="ArgumentException"/> for a setting out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Executable)) throw new ArgumentException("the imagecore executable is empty");
        if (CpusPerTask < 1) throw new ArgumentException($"--cpus-per-task must be >= 1 (is {CpusPerTask})");
        if (MemPerCpuMb is < 1) throw new ArgumentException($"--mem-per-cpu must be >= 1 MB (is {MemPerCpuMb})");
        if (MaxParallel is < 1) throw new ArgumentException($"--max-parallel must be >= 1 (is {MaxParallel})");
        if (MaxArraySize < 1) throw new ArgumentException($"--max-array-size must be >= 1 (is {MaxArraySize})");
        if (Partition is not null && (Partition.Length == 0 || Partition.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '#')))
            throw new ArgumentException($"--partition '{Partition}' is not a partition name");
    }
}
