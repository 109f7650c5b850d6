using System.Text.Json;
using ImageCore.Execution;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class ClusterPlanTests
{
    private static readonly SimulationConfig Small = new() { Visits = 4, Detectors = "R22_S11,R22_S12", Scale = 8, Seed = 7, SeeingFwhmArcsec = 6.4 };

    [Fact]
    public void Every_quantum_is_in_exactly_one_cluster_and_clusters_depend_on_what_their_quanta_depend_on()
    {
        var graph = QuantumGraphPlanner.PlanSimulated(Small, new DataRepository("data"), new DataRepository("out"), new PipelineConfig());
        var plan = QuantumClusterer.Cluster(graph, new ClusterConfig { VisitsPerGroup = 2 });

        Assert.Equal([new VisitGroup(0, 0, 1, 2), new VisitGroup(1, 2, 3, 2)], plan.Summary.Groups);
        Assert.Equal(graph.Steps, plan.Summary.Steps.Select(s => s.Name));
        // ISR: (group, detector); warps: (tract, visit); coadds: one per patch.
        var isr = plan.ClustersOf("isr");
        Assert.Equal(4, isr.Count);
        Assert.Equal(["group 0 detector R22_S11", "group 0 detector R22_S12", "group 1 detector R22_S11", "group 1 detector R22_S12"], isr.Select(c => c.Key));
        Assert.Equal(["isr/000000/R22_S11", "isr/000001/R22_S11"], isr[0].Quanta.Order(StringComparer.Ordinal));
        var warps = graph.Quanta.Where(q => q.Step == "warp").ToList();
        Assert.Equal(warps.Select(q => (q.DataId.Tract, q.DataId.Visit)).Distinct().Count(), plan.ClustersOf("warp").Count);
        Assert.Equal(graph.Quanta.Count(q => q.Step == "coadd"), plan.ClustersOf("coadd").Count);

        var clusterOf = new Dictionary<string, QuantumCluster>();
        foreach (var c in plan.Clusters)
        {
            Assert.Equal($"{c.Step}/{c.Index:00000}", c.Id);
            foreach (string q in c.Quanta) clusterOf.Add(q, c);   // throws on a quantum in two clusters
        }
        Assert.Equal(graph.Quanta.Select(q => q.Id).Order(StringComparer.Ordinal), clusterOf.Keys.Order(StringComparer.Ordinal));
        foreach (var c in plan.Clusters)
        {
            var expected = c.Quanta.SelectMany(q => graph[q].DependsOn).Select(d => clusterOf[d].Id).Distinct().Order(StringComparer.Ordinal);
            Assert.Equal(expected, c.DependsOn);
            Assert.All(c.Quanta, q => Assert.Equal(c.Step, graph[q].Step));
        }
        Assert.Equal(graph.Quanta.Count, plan.Summary.Steps.Sum(s => s.Quanta));

        // A cluster's part of the graph: its quanta, and the quanta they depend on without their own dependencies.
        var coadd = plan.ClustersOf("coadd")[0];
        var part = graph.Subgraph(coadd.Quanta);
        var upstream = graph[coadd.Quanta[0]].DependsOn;
        Assert.Equal(upstream.Count + 1, part.Quanta.Count);
        Assert.Equal(graph.Quanta.Select(q => q.Id).Where(id => id == coadd.Quanta[0] || upstream.Contains(id)), part.Quanta.Select(q => q.Id));
        Assert.All(part.Quanta.Where(q => q.Step == "warp"), q => Assert.Empty(q.DependsOn));
        Assert.Equal(graph[coadd.Quanta[0]], part[coadd.Quanta[0]]);
        Assert.Throws<KeyNotFoundException>(() => graph.Subgraph(["isr/999999/R22_S11"]));

        // By visit: one ISR cluster per (group, visit).
        var byVisit = QuantumClusterer.Cluster(graph, new ClusterConfig { VisitsPerGroup = 2, IsrKey = IsrClusterKey.Visit });
        Assert.Equal(["group 0 visit 0", "group 0 visit 1", "group 1 visit 2", "group 1 visit 3"], byVisit.ClustersOf("isr").Select(c => c.Key));
        Assert.Throws<ConfigException>(() => QuantumClusterer.Cluster(graph, new ClusterConfig { VisitsPerGroup = 0 }));
    }

    [Fact]
    public void A_dry_run_plans_the_graph_the_simulated_raws_give()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), output = dir.File("out");
        var simulation = Small with { Visits = 2, Detectors = "R22_S11,R22_S12,R22_S21" };
        Simulator.Run(data, simulation);
        var config = new PipelineConfig();
        var fromRaws = QuantumGraphPlanner.Plan(new DataRepository(data), new DataRepository(output), config);
        var dryRun = QuantumGraphPlanner.PlanSimulated(simulation, new DataRepository(data), new DataRepository(output), config);
        Assert.Equal(fromRaws.ToJson(), dryRun.ToJson());
    }

    [Fact]
    public void The_group_rule_cuts_800_visits_into_53_groups_of_15_or_16()
    {
        var config = new ClusterConfig();
        Assert.Equal(53, config.GroupCount(800));
        Assert.Equal(1, config.GroupCount(3));
        Assert.Equal(1, config.GroupCount(29));
        Assert.Equal(2, config.GroupCount(30));
    }

    [Fact]
    public void A_plan_directory_round_trips_through_json()
    {
        using var dir = new TempDir();
        var graph = QuantumGraphPlanner.PlanSimulated(Small, new DataRepository(dir.File("data")), new DataRepository(dir.File("out")), new PipelineConfig());
        var plan = QuantumClusterer.Cluster(graph, new ClusterConfig { VisitsPerGroup = 3 });
        string planDir = dir.File("plan");
        PlanDirectory.Write(planDir, graph, plan);

        Assert.Equal(ClusterPlan.ToJson(plan.Summary), ClusterPlan.ToJson(PlanDirectory.ReadSummary(planDir)));
        Assert.Equal(graph.ToJson(), PlanDirectory.ReadGraph(planDir).ToJson());
        Assert.Equal(graph.Subgraph(plan.Clusters[^1].Quanta).ToJson(), PlanDirectory.ReadClusterGraph(planDir, plan.Clusters[^1].Step, plan.Clusters[^1].Index).ToJson());
        foreach (var c in plan.Clusters)
        {
            var back = PlanDirectory.ReadCluster(planDir, c.Step, c.Index);
            Assert.Equal(c.Id, back.Id);
            Assert.Equal(c.Key, back.Key);
            Assert.Equal(c.Quanta, back.Quanta);
            Assert.Equal(c.DependsOn, back.DependsOn);
        }
        Assert.Empty(Directory.GetFiles(planDir, "*.tmp", SearchOption.AllDirectories));
        // A step's clusters: one file of records (the cluster's line, its graph's line) and an index of where each starts.
        Assert.Equal(["graph.json", "plan.json"], Directory.GetFiles(planDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(plan.Summary.Steps.SelectMany(s => new[] { s.Name + ".index", s.Name + ".jsonl" }).Order(StringComparer.Ordinal),
                     Directory.GetFileSystemEntries(Path.Combine(planDir, "clusters")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        string[] lines = File.ReadAllLines(PlanDirectory.ClusterRecordsPath(planDir, "isr"));
        Assert.Equal(2 * plan.ClustersOf("isr").Count, lines.Length);
        Assert.Equal(plan.ClustersOf("isr").Count + 1, new FileInfo(PlanDirectory.ClusterIndexPath(planDir, "isr")).Length / 8);
        using (var json = JsonDocument.Parse(lines[0]))
            Assert.Equal(["id", "step", "index", "key", "quanta", "dependsOn"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(graph.Subgraph(plan.ClustersOf("isr")[1].Quanta).ToJson(), QuantumGraph.FromJson(lines[3]).ToJson());
        // Each record's graph line is, byte for byte, the compact JSON of the cluster's subgraph (written without making it).
        foreach (var step in plan.Summary.Steps)
        {
            string[] records = File.ReadAllLines(PlanDirectory.ClusterRecordsPath(planDir, step.Name));
            foreach (var c in plan.ClustersOf(step.Name))
            {
                using var part = new MemoryStream();
                graph.Subgraph(c.Quanta).WriteJson(part, indented: false);
                Assert.Equal(System.Text.Encoding.UTF8.GetString(part.ToArray()), records[2 * c.Index + 1]);
            }
        }
        Assert.Throws<JsonException>(() => ClusterPlan.ClusterFromJson("""{"id":"isr/00000","step":"isr","index":0,"key":"k","quanta":[]}"""));
        Assert.Throws<IOException>(() => PlanDirectory.ReadCluster(planDir, "isr", plan.ClustersOf("isr").Count));
        Assert.Throws<IOException>(() => PlanDirectory.ReadClusterGraph(planDir, "isr", -1));
        // An index whose second entry points at the first record: the record says which cluster it is.
        var index = File.ReadAllBytes(PlanDirectory.ClusterIndexPath(planDir, "isr"));
        Array.Copy(index, 0, index, 8, 8);
        File.WriteAllBytes(PlanDirectory.ClusterIndexPath(planDir, "isr"), index);
        Assert.Throws<JsonException>(() => PlanDirectory.ReadCluster(planDir, "isr", 1));
    }

    [Fact]
    public void A_plan_of_format_1_with_a_file_per_cluster_is_still_read()
    {
        using var dir = new TempDir();
        var graph = QuantumGraphPlanner.PlanSimulated(Small, new DataRepository(dir.File("data")), new DataRepository(dir.File("out")), new PipelineConfig());
        var plan = QuantumClusterer.Cluster(graph, new ClusterConfig { VisitsPerGroup = 3 });
        string planDir = dir.File("plan");
        // The layout the first plan directories had: clusters/STEP/NNNNN.json and NNNNN.graph.json, plan.json of version 1.
        foreach (var c in plan.Clusters)
        {
            Directory.CreateDirectory(Path.Combine(planDir, "clusters", c.Step));
            File.WriteAllText(PlanDirectory.ClusterPath(planDir, c.Step, c.Index), ClusterPlan.ToJson(c));
            File.WriteAllText(PlanDirectory.ClusterGraphPath(planDir, c.Step, c.Index), graph.Subgraph(c.Quanta).ToJson());
        }
        File.WriteAllText(PlanDirectory.SummaryPath(planDir), ClusterPlan.ToJson(plan.Summary with { Version = 1 }));

        Assert.Equal(1, PlanDirectory.ReadSummary(planDir).Version);
        foreach (var c in plan.Clusters)
        {
            Assert.Equal(ClusterPlan.ToJson(c), ClusterPlan.ToJson(PlanDirectory.ReadCluster(planDir, c.Step, c.Index)));
            Assert.Equal(graph.Subgraph(c.Quanta).ToJson(), PlanDirectory.ReadClusterGraph(planDir, c.Step, c.Index).ToJson());
        }
        File.Copy(PlanDirectory.ClusterPath(planDir, "isr", 0), PlanDirectory.ClusterPath(planDir, "isr", 1), overwrite: true);
        Assert.Throws<JsonException>(() => PlanDirectory.ReadCluster(planDir, "isr", 1));
        File.WriteAllText(PlanDirectory.SummaryPath(planDir), ClusterPlan.ToJson(plan.Summary with { Version = 3 }));
        Assert.Throws<JsonException>(() => PlanDirectory.ReadSummary(planDir));
    }

    [Fact]
    public void A_night_of_800_visits_of_189_detectors_plans_in_53_groups()
    {
        var night = new SimulationConfig { Visits = 800, Detectors = "all" };
        var graph = QuantumGraphPlanner.PlanSimulated(night, new DataRepository("data"), new DataRepository("out"), new PipelineConfig());
        var plan = QuantumClusterer.Cluster(graph, new ClusterConfig());

        Assert.Equal(53, plan.Summary.Groups.Count);
        Assert.Equal(800, plan.Summary.Groups.Sum(g => g.Visits));
        Assert.All(plan.Summary.Groups, g => Assert.InRange(g.Visits, 15, 16));
        Assert.Equal(800 * 189, plan.Summary.Steps[0].Quanta);
        Assert.Equal(53 * 189, plan.Summary.Steps[0].Clusters);
        Assert.True(plan.Summary.Steps[1].Clusters > 0);
        Assert.True(plan.Summary.Steps[2].Clusters > 0);
    }

    [Fact]
    public void Running_the_clusters_one_by_one_gives_the_outputs_of_one_whole_run_and_a_rerun_changes_nothing()
    {
        using var dir = new TempDir();
        string data = dir.File("data"), whole = dir.File("whole"), parts = dir.File("parts"), planDir = dir.File("plan");
        Simulator.Run(data, Small);
        var config = new PipelineConfig { Threads = 2 };
        var reference = Pipeline.Run(data, whole, config);

        var graph = QuantumGraphPlanner.Plan(new DataRepository(data), new DataRepository(parts), config);
        PlanDirectory.Write(planDir, graph, QuantumClusterer.Cluster(graph, new ClusterConfig { VisitsPerGroup = 2 }));
        var summary = PlanDirectory.ReadSummary(planDir);
        var read = PlanDirectory.ReadGraph(planDir);
        foreach (var step in summary.Steps)
            for (int i = 0; i < step.Clusters; i++)
            {
                // As a job does: the cluster and its part of the graph.
                var cluster = PlanDirectory.ReadCluster(planDir, step.Name, i);
                var result = ClusterRunner.Run(PlanDirectory.ReadClusterGraph(planDir, step.Name, i), cluster, config);
                Assert.Empty(result.AlreadyDone);
                Assert.NotNull(result.Report);
                Assert.True(File.Exists(new DataRepository(parts).ClusterReport(step.Name, i)));
                foreach (var id in cluster.Quanta.Where(q => read[q].Outputs.Any(o => !File.Exists(o)))) Assert.True(DataRepository.RanEmpty(read[id]), id);
                Assert.Empty(result.Report.Failures);   // a coadd whose warps were all empty is empty, not skipped (their markers)
            }
        Assert.False(File.Exists(new DataRepository(parts).ReportPath));

        // One report for the campaign from the clusters' reports: the whole run's quanta and outputs.
        var merged = MergedReport.Merge(planDir);
        Assert.Equal(summary.Steps.Sum(s => s.Clusters), merged.Reports);
        Assert.Empty(merged.Failures);
        Assert.Equal(reference.Steps.Select(s => (s.Name, s.Quanta, s.Succeeded, s.Empty)), merged.Steps.Select(s => (s.Name, s.Quanta, s.Succeeded, s.Empty)));
        Assert.Equal(reference.PostIsr, merged.PostIsr);
        Assert.Equal(reference.Warps, merged.Warps);
        Assert.Equal(reference.Coadds, merged.Coadds);
        Assert.All(merged.Steps, s => Assert.True(s.BytesWritten > 0 && s.Outputs == s.Succeeded, s.Name));
        string[] Files(string root) => Directory.GetFiles(root, "*.fits", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Files(whole), Files(parts));
        foreach (string f in Files(whole)) Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(parts, f))), f);

        // A rerun: every cluster does nothing (outputs verified, or the markers of quanta that had nothing to write); no file changes.
        var before = Directory.GetFiles(parts, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), File.ReadAllBytes(f)));
        foreach (var step in summary.Steps)
            for (int i = 0; i < step.Clusters; i++)
            {
                var cluster = PlanDirectory.ReadCluster(planDir, step.Name, i);
                var result = ClusterRunner.Run(read, cluster, config);
                Assert.Equal(cluster.Quanta, result.AlreadyDone);
                Assert.Null(result.Report);
            }
        var after = Directory.GetFiles(parts, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + DataRepository.ClusterReportDirectoryName + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        foreach (string f in after)
        {
            Assert.True(before.TryGetValue(f, out var was), f);
            Assert.Equal(was.Item1, File.GetLastWriteTimeUtc(f));
            Assert.True(was.Item2.AsSpan().SequenceEqual(File.ReadAllBytes(f)), f);
        }

        // An output that fails verification is made again.
        string isrOut = read[PlanDirectory.ReadCluster(planDir, "isr", 0).Quanta[0]].Outputs[0];
        byte[] good = File.ReadAllBytes(isrOut);
        var broken = (byte[])good.Clone();
        broken[^100] ^= 0x55;
        File.WriteAllBytes(isrOut, broken);
        Assert.False(ClusterRunner.IsVerified(isrOut));
        var redo = ClusterRunner.Run(read, PlanDirectory.ReadCluster(planDir, "isr", 0), config);
        Assert.NotNull(redo.Report);
        Assert.Equal(1, redo.Report.Steps[0].Succeeded);
        Assert.True(good.AsSpan().SequenceEqual(File.ReadAllBytes(isrOut)));
    }
}
