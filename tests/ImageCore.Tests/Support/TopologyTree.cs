using ImageCore.Execution;

namespace ImageCore.Tests.Support;

/// <summary>
/// One of the sysfs fixture trees (<c>epyc7763-2s-smt</c>, <c>milan7713-2s-120</c>, <c>xeon6130-2s-smt</c>,
/// <c>vm-2vcpu</c>; <c>testdata/README.md</c> says what each holds), written into a temporary directory that is deleted on
/// disposal. They are thousands of tiny files, so they are made where a test needs one rather than committed. The
/// trees are those of <c>testdata/topology/make_trees.py</c> (the documented provenance, and what writes them for
/// <c>imagecore rehearse</c>), written here in C# so that the tests need nothing but .NET; <c>TopologyTreeTests</c>
/// checks the two give the same files where Python is present.
/// </summary>
internal sealed class TopologyTree : IDisposable
{
    private readonly TempDir _dir = new();

    private TopologyTree(string name)
    {
        Root = _dir.File(name);
        try { Generate(_dir.Path, name); }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    /// <summary>The tree's root, laid out as <c>/sys</c>.</summary>
    public string Root { get; }

    /// <summary>The names of the trees.</summary>
    public static IReadOnlyList<string> Names { get; } = ["epyc7763-2s-smt", "milan7713-2s-120", "xeon6130-2s-smt", "vm-2vcpu"];

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

    private sealed record Cpu(int Package, int Core, int[] Threads, (int Level, string Type, string Size, int[] Shared)[] Caches);

    /// <summary>Writes the tree <paramref name="name"/> under <paramref name="outDir"/>, as make_trees.py does.</summary>
    internal static void Generate(string outDir, string name)
    {
        switch (name)
        {
            case "epyc7763-2s-smt": Epyc(outDir, name, 64, smt: true, l3Mb: 32, l2Kb: 512); break;
            case "milan7713-2s-120": Epyc(outDir, name, 64, smt: false, l3Mb: 32, l2Kb: 512, cgroup: [.. Enumerable.Range(0, 60), .. Enumerable.Range(64, 60)]); break;
            case "xeon6130-2s-smt":
            {
                int[] coreIds = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 17, 18, 19];
                var cpus = new SortedDictionary<int, Cpu>();
                var nodes = new SortedDictionary<int, List<int>> { [0] = [], [1] = [] };
                for (int s = 0; s < 2; s++)
                    for (int i = 0; i < 16; i++)
                    {
                        int first = s * 16 + i;
                        int[] threads = [first, first + 32];
                        int[] l3 = [.. Enumerable.Range(s * 16, 16), .. Enumerable.Range(32 + s * 16, 16)];
                        foreach (int t in threads)
                        {
                            cpus[t] = new Cpu(s, coreIds[i], threads, [(1, "Data", "32K", threads), (1, "Instruction", "32K", threads), (2, "Unified", "1024K", threads), (3, "Unified", "22528K", l3)]);
                            nodes[s].Add(t);
                        }
                    }
                Tree(outDir, name, cpus, nodes, cgroup: null, siblingsFile: "thread_siblings_list");
                break;
            }
            case "vm-2vcpu":
                Tree(outDir, name, new SortedDictionary<int, Cpu> { [0] = new(0, 0, [0], []), [1] = new(0, 1, [1], []) },
                     new SortedDictionary<int, List<int>> { [0] = [0, 1] }, cgroup: null);
                break;
            default: throw new ArgumentException($"no topology tree {name}", nameof(name));
        }
    }

    private static void Epyc(string outDir, string name, int coresPerSocket, bool smt, int l3Mb, int l2Kb, int[]? cgroup = null)
    {
        const int sockets = 2;
        int nFirst = sockets * coresPerSocket, total = nFirst * (smt ? 2 : 1);
        var cpus = new SortedDictionary<int, Cpu>();
        var nodes = new SortedDictionary<int, List<int>> { [0] = [], [1] = [] };
        for (int s = 0; s < sockets; s++)
            for (int c = 0; c < coresPerSocket; c++)
            {
                int first = s * coresPerSocket + c;
                int[] threads = smt ? [first, first + nFirst] : [first];
                int ccd = first / 8;
                int[] l3 = [.. (smt ? new[] { 0, nFirst } : [0]).SelectMany(d => Enumerable.Range(ccd * 8, 8).Select(t => t + d))];
                foreach (int t in threads)
                {
                    cpus[t] = new Cpu(s, c, threads, [(1, "Data", "32K", threads), (1, "Instruction", "32K", threads), (2, "Unified", $"{l2Kb}K", threads), (3, "Unified", $"{l3Mb * 1024}K", l3)]);
                    nodes[s].Add(t);
                }
            }
        Tree(outDir, name, cpus, nodes, cgroup ?? [.. Enumerable.Range(0, total)]);
    }

    private static void Tree(string outDir, string name, SortedDictionary<int, Cpu> cpus, SortedDictionary<int, List<int>> nodes, int[]? cgroup,
                             string siblingsFile = "core_cpus_list")
    {
        string root = Path.Combine(outDir, name);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        void Put(string relative, string text)
        {
            string path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text + "\n");
        }
        Put("devices/system/cpu/online", CpuList(cpus.Keys));
        foreach (var (cpu, c) in cpus)
        {
            string b = $"devices/system/cpu/cpu{cpu}";
            Put($"{b}/topology/physical_package_id", c.Package.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Put($"{b}/topology/core_id", c.Core.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Put($"{b}/topology/{siblingsFile}", CpuList(c.Threads));
            for (int k = 0; k < c.Caches.Length; k++)
            {
                var (level, type, size, shared) = c.Caches[k];
                Put($"{b}/cache/index{k}/level", level.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Put($"{b}/cache/index{k}/type", type);
                Put($"{b}/cache/index{k}/size", size);
                Put($"{b}/cache/index{k}/shared_cpu_list", CpuList(shared));
            }
        }
        foreach (var (node, nodeCpus) in nodes) Put($"devices/system/node/node{node}/cpulist", CpuList(nodeCpus));
        if (cgroup is not null) Put("fs/cgroup/cpuset.cpus.effective", CpuList(cgroup));
    }

    /// <summary>Linux cpu list text ("0-7,128-135").</summary>
    private static string CpuList(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }
}
