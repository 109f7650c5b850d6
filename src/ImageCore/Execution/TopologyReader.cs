using System.Globalization;
using System.Text.RegularExpressions;

namespace ImageCore.Execution;

/// <summary>Reads <see cref="CpuTopology"/> from a sysfs tree (the real <c>/sys</c> or a fixture), with CPUID for caches when sysfs has none.</summary>
internal static partial class TopologyReader
{
    [GeneratedRegex(@"^cpu(\d+)$")]
    private static partial Regex CpuDirName();

    [GeneratedRegex(@"^node(\d+)$")]
    private static partial Regex NodeDirName();

    [GeneratedRegex(@"^index(\d+)$")]
    private static partial Regex IndexDirName();

    private sealed record CacheEntry(int Level, string Type, long Size, CpuSet Shared, string Path);

    public static CpuTopology Read(string sysfsRoot, CpuidFunction? cpuid)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sysfsRoot);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sysfsRoot));
        bool live = root == "/sys";
        string cpuDir = Path.Combine(root, "devices", "system", "cpu");
        if (!Directory.Exists(cpuDir))
            throw new DirectoryNotFoundException($"{cpuDir}: no such directory (the sysfs root must play the role of /sys: DIR/devices/system/cpu/...)");

        // Online CPUs.
        CpuSet online;
        string onlineSource;
        string onlineFile = Path.Combine(cpuDir, "online");
        if (File.Exists(onlineFile))
        {
            online = ReadList(onlineFile);
            onlineSource = $"sysfs {Relative(root, onlineFile)}";
        }
        else
        {
            online = CpuSet.Of(Directory.EnumerateDirectories(cpuDir).Select(d => CpuDirName().Match(Path.GetFileName(d)))
                                        .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
            onlineSource = "sysfs cpuN directories (no online file)";
        }
        if (online.IsEmpty) throw new FormatException($"{onlineFile}: no online CPUs (text \"{SafeRead(onlineFile)}\")");

        // Cgroup, affinity, allowed.
        var (cgroup, cgroupSource) = live ? LiveCgroup() : FixtureCgroup(root);
        CpuSet? affinity = null;
        string affinitySource;
        if (!live) affinitySource = "not used (fixture root: the process affinity is not part of the tree)";
        else if (!OperatingSystem.IsLinux()) affinitySource = "not supported on this operating system";
        else
        {
            affinity = LinuxAffinity.GetCurrentThread(out int errno);
            affinitySource = affinity is null ? $"sched_getaffinity refused ({LinuxAffinity.ErrnoName(errno)})" : "sched_getaffinity";
        }
        var allowed = online;
        var parts = new List<string> { "online" };
        if (cgroup is not null) { allowed = allowed.Intersect(cgroup); parts.Add("cgroup"); }
        if (affinity is not null) { allowed = allowed.Intersect(affinity); parts.Add("sched_getaffinity"); }
        string allowedSource = string.Join(" ∩ ", parts);

        // NUMA nodes.
        var nodes = new List<NumaNode>();
        string nodeDir = Path.Combine(root, "devices", "system", "node");
        if (Directory.Exists(nodeDir))
        {
            foreach (string d in Directory.EnumerateDirectories(nodeDir))
            {
                var m = NodeDirName().Match(Path.GetFileName(d));
                string list = Path.Combine(d, "cpulist");
                if (!m.Success || !File.Exists(list)) continue;
                var cpus = ReadList(list).Intersect(online);
                if (!cpus.IsEmpty) nodes.Add(new NumaNode(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), cpus));   // memory-only nodes are left out
            }
        }
        string numaSource = "sysfs devices/system/node/nodeN/cpulist";
        if (nodes.Count == 0)
        {
            nodes.Add(new NumaNode(0, online));
            numaSource = "none (no node directories with online CPUs: one node assumed)";
        }
        else
        {
            var missing = online.Except(nodes.Aggregate(CpuSet.Empty, (s, n) => s.Union(n.Cpus)));
            if (!missing.IsEmpty) throw new FormatException($"{nodeDir}: online CPUs {missing} belong to no node's cpulist");
        }
        nodes.Sort((a, b) => a.Id.CompareTo(b.Id));

        // Cores and SMT siblings.
        var cores = new Dictionary<(int, int), CpuSet>();
        bool coresFromSysfs = true;
        var caches = new Dictionary<int, List<CacheEntry>>();
        foreach (int cpu in online)
        {
            string dir = Path.Combine(cpuDir, $"cpu{cpu}");
            string topo = Path.Combine(dir, "topology");
            string pkgFile = Path.Combine(topo, "physical_package_id"), coreFile = Path.Combine(topo, "core_id");
            int package = 0, coreId = cpu;
            CpuSet threads = CpuSet.Of(cpu);
            if (File.Exists(pkgFile) && File.Exists(coreFile))
            {
                package = ReadInt(pkgFile);
                coreId = ReadInt(coreFile);
                string siblings = Path.Combine(topo, "core_cpus_list");
                if (!File.Exists(siblings)) siblings = Path.Combine(topo, "thread_siblings_list");
                if (File.Exists(siblings)) threads = ReadList(siblings).Union(CpuSet.Of(cpu)).Intersect(online);
            }
            else coresFromSysfs = false;
            cores[(package, coreId)] = cores.TryGetValue((package, coreId), out var had) ? had.Union(threads) : threads;
            caches[cpu] = ReadCaches(Path.Combine(dir, "cache"), online);
        }
        var coreList = cores.Select(kv => new CpuCore(kv.Key.Item1, kv.Key.Item2, kv.Value)).OrderBy(c => c.Threads.Min).ToList();
        var claimed = new HashSet<int>();
        foreach (var c in coreList)
            foreach (int t in c.Threads)
                if (!claimed.Add(t)) throw new FormatException($"{cpuDir}: CPU {t} is listed as a thread of more than one core (check topology/core_id and core_cpus_list)");
        string coreSource = coresFromSysfs
            ? "sysfs cpuN/topology/{physical_package_id,core_id,core_cpus_list|thread_siblings_list}"
            : "none (no cpuN/topology: each CPU taken as its own core)";

        // Caches and L3 domains.
        int first = online.Min;
        IReadOnlyList<CacheLevel> cacheLevels;
        string cacheSource;
        List<CpuSet> l3Sets = [];
        string l3Source;
        if (caches.Values.Any(l => l.Count > 0))
        {
            cacheSource = "sysfs cpuN/cache/indexK/{level,type,size,shared_cpu_list}";
            cacheLevels = caches[first].Select(e => new CacheLevel(e.Level, e.Type, e.Size, e.Shared.Count,
                    caches.Values.SelectMany(l => l).Where(o => o.Level == e.Level && o.Type == e.Type).Select(o => o.Shared).Distinct().Count()))
                .OrderBy(c => c.Level).ThenBy(c => c.Type, StringComparer.Ordinal).ToList();
            foreach (int cpu in online)
            {
                var l3 = caches[cpu].FirstOrDefault(e => e.Level == 3);
                if (l3 is null) { l3Sets.Clear(); break; }
                if (!l3Sets.Contains(l3.Shared)) l3Sets.Add(l3.Shared);
            }
            l3Source = l3Sets.Count > 0 ? "sysfs cpuN/cache/index3/shared_cpu_list" : "";
        }
        else if (cpuid is null)
        {
            cacheLevels = [];
            cacheSource = "none (no sysfs cache entries, and no CPUID on this architecture)";
            l3Source = "";
        }
        else
        {
            (cacheLevels, cacheSource) = CpuidCaches.Read(cpuid);
            if (!live && cacheLevels.Count > 0) cacheSource += " of this machine's CPU";
            l3Source = "";
            var l3 = cacheLevels.FirstOrDefault(c => c.Level == 3);
            if (l3 is not null)
            {
                var packages = coreList.GroupBy(c => c.Package).Select(g => g.Aggregate(CpuSet.Empty, (s, c) => s.Union(c.Threads))).ToList();
                if (l3.SharedByCpus is null)
                {
                    l3Sets = packages;
                    l3Source = "cpuid (L3 size only, which CPUs share it not given: one domain per package)";
                }
                else if (packages.All(p => l3.SharedByCpus >= p.Count))
                {
                    l3Sets = packages;
                    l3Source = $"cpuid (L3 shared by up to {l3.SharedByCpus} logical CPUs, covering each package: one domain per package)";
                }
                else l3Source = $"numa nodes (cpuid: L3 shared by up to {l3.SharedByCpus} logical CPUs, fewer than a package; which CPUs share it is not known without APIC ids)";
            }
        }
        if (l3Sets.Count == 0)
        {
            l3Sets = nodes.Select(n => n.Cpus).ToList();
            if (l3Source.Length == 0) l3Source = "numa nodes (no L3 information: one domain per node)";
        }
        long? l3Size = cacheLevels.FirstOrDefault(c => c.Level == 3)?.SizeBytes;
        var nodeOf = new Func<int, int>(cpu => nodes.First(n => n.Cpus.Contains(cpu)).Id);
        var domains = l3Sets.OrderBy(s => s.Min)
                            .Select((s, i) => new L3Domain(i, s, s.Intersect(allowed), nodeOf(s.Min), l3Size)).ToList();
        for (int i = 0; i < domains.Count; i++)
            for (int j = i + 1; j < domains.Count; j++)
                if (!domains[i].Cpus.Intersect(domains[j].Cpus).IsEmpty)
                    throw new FormatException($"{cpuDir}: L3 domains {domains[i].Cpus} and {domains[j].Cpus} overlap ({l3Source})");
        var uncovered = online.Except(domains.Aggregate(CpuSet.Empty, (s, d) => s.Union(d.Cpus)));
        if (!uncovered.IsEmpty) throw new FormatException($"{cpuDir}: online CPUs {uncovered} are in no L3 domain ({l3Source})");

        return new CpuTopology
        {
            SysfsRoot = root,
            IsLiveSystem = live,
            Online = online,
            OnlineSource = onlineSource,
            CgroupCpus = cgroup,
            CgroupSource = cgroupSource,
            ProcessAffinity = affinity,
            AffinitySource = affinitySource,
            Allowed = allowed,
            AllowedSource = allowedSource,
            NumaNodes = nodes,
            NumaSource = numaSource,
            L3Domains = domains,
            L3Source = l3Source,
            Cores = coreList,
            CoreSource = coreSource,
            Caches = cacheLevels,
            CacheSource = cacheSource,
        };
    }

    private static List<CacheEntry> ReadCaches(string cacheDir, CpuSet online)
    {
        var list = new List<CacheEntry>();
        if (!Directory.Exists(cacheDir)) return list;
        foreach (string d in Directory.EnumerateDirectories(cacheDir).Order(StringComparer.Ordinal))
        {
            if (!IndexDirName().IsMatch(Path.GetFileName(d))) continue;
            string levelFile = Path.Combine(d, "level"), typeFile = Path.Combine(d, "type"), sizeFile = Path.Combine(d, "size"), sharedFile = Path.Combine(d, "shared_cpu_list");
            if (!File.Exists(levelFile) || !File.Exists(sizeFile) || !File.Exists(sharedFile)) continue;
            string type = File.Exists(typeFile) ? File.ReadAllText(typeFile).Trim() : "Unified";
            list.Add(new CacheEntry(ReadInt(levelFile), type, ReadSize(sizeFile), ReadList(sharedFile).Intersect(online), d));
        }
        return list;
    }

    /// <summary>The root cgroup of a fixture: <c>DIR/fs/cgroup/cpuset.cpus.effective</c>.</summary>
    private static (CpuSet?, string) FixtureCgroup(string root)
    {
        string file = Path.Combine(root, "fs", "cgroup", "cpuset.cpus.effective");
        return File.Exists(file) ? (ReadList(file), $"cgroup v2 {file}") : (null, $"none (no {file}: no restriction)");
    }

    /// <summary>The process's own cgroup: the v2 line <c>0::/path</c> of <c>/proc/self/cgroup</c>, else the v1 cpuset line.</summary>
    private static (CpuSet?, string) LiveCgroup()
    {
        const string proc = "/proc/self/cgroup";
        if (!File.Exists(proc)) return (null, $"none (no {proc})");
        string? v2 = null, v1 = null;
        foreach (string line in File.ReadAllLines(proc))
        {
            string[] f = line.Split(':', 3);
            if (f.Length != 3) continue;
            if (f[0] == "0" && f[1].Length == 0) v2 = f[2];
            else if (f[1].Split(',').Contains("cpuset")) v1 = f[2];
        }
        if (v2 is not null)
        {
            string file = Path.Combine("/sys/fs/cgroup" + v2.TrimEnd('/'), "cpuset.cpus.effective");
            if (File.Exists(file)) return (ReadList(file), $"cgroup v2 {file}");
        }
        if (v1 is not null)
        {
            string file = Path.Combine("/sys/fs/cgroup/cpuset" + v1.TrimEnd('/'), "cpuset.effective_cpus");
            if (File.Exists(file)) return (ReadList(file), $"cgroup v1 {file}");
        }
        return (null, "none (no cpuset.cpus.effective for this process's cgroup: no restriction)");
    }

    private static CpuSet ReadList(string file) => CpuSet.Parse(File.ReadAllText(file), file);

    private static int ReadInt(string file)
    {
        string text = File.ReadAllText(file);
        return int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v : throw new FormatException($"{file}: expected an integer, found \"{text.Trim()}\"");
    }

    /// <summary>A sysfs cache size: "32768K", "512K", "2M", or bytes.</summary>
    private static long ReadSize(string file)
    {
        string text = File.ReadAllText(file).Trim();
        long unit = 1;
        string digits = text;
        if (text.Length > 0 && char.ToUpperInvariant(text[^1]) is 'K' or 'M' or 'G')
        {
            unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            digits = text[..^1];
        }
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v > 0
            ? v * unit : throw new FormatException($"{file}: expected a cache size such as \"32768K\", found \"{text}\"");
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path);

    private static string SafeRead(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : "";
}
