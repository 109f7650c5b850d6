namespace ImageCore.Execution;

/// <summary>The CPU planned for each worker (null: unpinned) and that CPU's NUMA node.</summary>
/// <param name="Policy">The policy that made the plan.</param>
/// <param name="Cpus">One entry per worker: its CPU, or null to leave it to the OS.</param>
/// <param name="NumaNodes">One entry per worker: the NUMA node of its CPU, or null when unpinned.</param>
public sealed record PlacementPlan(PlacementPolicy Policy, IReadOnlyList<int?> Cpus, IReadOnlyList<int?> NumaNodes)
{
    /// <summary>Number of workers.</summary>
    public int Count => Cpus.Count;

    /// <summary>A plan of <paramref name="workers"/> unpinned workers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> is below 1.</exception>
    public static PlacementPlan Unpinned(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        var none = new int?[workers];
        return new PlacementPlan(PlacementPolicy.None, none, none);
    }

    /// <summary>"0,64,8,..." with "-" for unpinned workers (for logs and reports).</summary>
    public override string ToString() => $"{Policy}: " + string.Join(",", Cpus.Select(c => c?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"));
}

/// <summary>
/// Plans which CPU each worker runs on. Only allowed CPUs (<see cref="CpuTopology.Allowed"/>) are used, each at
/// most once: a pinned policy with more workers than it can place is an error naming the numbers (never
/// oversubscription or silently fewer workers; ask <see cref="Capacity"/> first).
/// <list type="bullet">
/// <item><c>compact</c>: L3 domains by lowest CPU; within a domain the first allowed thread of each core (cores by
/// first thread), then the second threads, ...; then the next domain.</item>
/// <item><c>spread</c>: domains interleaved across NUMA nodes (node 0's first domain, node 1's first, node 0's
/// second, ...; nodes by id, domains by lowest CPU within a node), one worker to each domain in turn on its next
/// free physical core; once every allowed physical core of every domain has a worker, second SMT threads in the
/// same order, then third, ...</item>
/// <item><c>l3:K</c>: the order of <c>spread</c>, skipping a domain once it holds K workers.</item>
/// </list>
/// </summary>
public static class Placement
{
    /// <summary>The plan for <paramref name="workers"/> workers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The policy cannot place that many workers on the allowed CPUs.</exception>
    public static PlacementPlan Plan(CpuTopology topology, PlacementPolicy policy, int workers)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        if (policy.Kind == PlacementKind.None) return PlacementPlan.Unpinned(workers) with { Policy = policy };
        var order = Order(topology, policy);
        if (workers > order.Count)
        {
            string why = policy.Kind == PlacementKind.L3
                ? $"{policy} places at most {order.Count} workers ({policy.MaxPerL3} per L3 domain on {topology.L3Domains.Count(d => !d.AllowedCpus.IsEmpty)} domains with allowed CPUs)"
                : $"{policy} places at most {order.Count} workers (one per allowed CPU: {topology.Allowed})";
            throw new ArgumentException($"{workers} workers requested but {why}", nameof(workers));
        }
        var cpus = order.Take(workers).Select(c => (int?)c).ToArray();
        return new PlacementPlan(policy, cpus, cpus.Select(c => (int?)topology.NodeOf(c!.Value)).ToArray());
    }

    /// <summary>The most workers <paramref name="policy"/> can place (int.MaxValue for <c>none</c>).</summary>
    public static int Capacity(CpuTopology topology, PlacementPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Kind == PlacementKind.None ? int.MaxValue : Order(topology, policy).Count;
    }

    /// <summary>Every placeable CPU in the policy's order.</summary>
    private static List<int> Order(CpuTopology topology, PlacementPolicy policy)
    {
        // Per domain, tiers of allowed threads: tier t holds the t-th allowed thread of each core, cores by first thread.
        var tiers = new List<List<int>>[topology.L3Domains.Count];
        for (int d = 0; d < tiers.Length; d++) tiers[d] = [];
        foreach (var core in topology.Cores)
        {
            var threads = core.Threads.Intersect(topology.Allowed).ToList();
            if (threads.Count == 0) continue;
            var domain = tiers[topology.L3Of(threads[0]).Index];
            for (int t = 0; t < threads.Count; t++)
            {
                while (domain.Count <= t) domain.Add([]);
                domain[t].Add(threads[t]);
            }
        }
        var order = new List<int>();
        if (policy.Kind == PlacementKind.Compact)
        {
            foreach (var domain in tiers)
                foreach (var tier in domain) order.AddRange(tier);
            return order;
        }

        // spread and l3:K: domains interleaved across NUMA nodes.
        var byNode = topology.L3Domains.GroupBy(d => d.NumaNode).OrderBy(g => g.Key).Select(g => g.OrderBy(d => d.Index).ToList()).ToList();
        var domains = new List<int>();
        for (int i = 0; byNode.Any(n => i < n.Count); i++)
            foreach (var node in byNode)
                if (i < node.Count) domains.Add(node[i].Index);
        int cap = policy.Kind == PlacementKind.L3 ? policy.MaxPerL3 : int.MaxValue;
        var placed = new int[tiers.Length];
        int maxTiers = tiers.Max(d => d.Count);
        for (int t = 0; t < maxTiers; t++)
        {
            var next = new int[tiers.Length];
            bool any = true;
            while (any)
            {
                any = false;
                foreach (int d in domains)
                {
                    if (t >= tiers[d].Count || next[d] >= tiers[d][t].Count || placed[d] >= cap) continue;
                    order.Add(tiers[d][t][next[d]++]);
                    placed[d]++;
                    any = true;
                }
            }
        }
        return order;
    }
}
