using ImageCore.Execution;

namespace ImageCore.Tests.Support;

/// <summary>
/// One of the sysfs fixture trees (<c>epyc7763-2s-smt</c>, <c>milan7713-2s-120</c>, <c>xeon6130-2s-smt</c>,
/// <c>vm-2vcpu</c>; <c>testdata/README.md</c> says what each holds), written by <c>testdata/topology/make_trees.py</c>
/// into a temporary directory that is deleted on disposal. They are thousands of tiny files, so they are made where a
/// test needs one rather than committed.
/// </summary>
internal sealed class TopologyTree : IDisposable
{
    private readonly TempDir _dir = new();

    private TopologyTree(string name)
    {
        string script = Path.Combine(Peers.RepoRoot, "testdata", "topology", "make_trees.py");
        var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{script}\" \"{_dir.Path}\" {name}");
        Root = _dir.File(name);
        if (code != 0 || !Directory.Exists(Root))
        {
            _dir.Dispose();
            throw new InvalidOperationException($"{Peers.Python} {script} {_dir.Path} {name} wrote no tree (exit {code}): {stderr}{stdout}");
        }
    }

    /// <summary>The tree's root, laid out as <c>/sys</c>.</summary>
    public string Root { get; }

    /// <summary>Writes the tree named <paramref name="name"/>; dispose to delete it.</summary>
    public static TopologyTree Write(string name) => new(name);

    /// <summary>The topology <see cref="TopologyReader"/> reads from the tree named <paramref name="name"/> (deleted
    /// again once read), with <paramref name="cpuid"/> where the tree has no cache entries.</summary>
    public static CpuTopology Read(string name, CpuidFunction? cpuid = null)
    {
        using var tree = Write(name);
        return TopologyReader.Read(tree.Root, cpuid);
    }

    public void Dispose() => _dir.Dispose();
}
