using ImageCore.Execution;

namespace ImageCore.Tests.Execution;

public class QuantumOrderTests
{
    private static readonly (int Visit, string Detector)[] Quanta =
        [.. from v in new[] { 7, 3, 5, 1 } from d in new[] { "R22_S11", "R22_S00", "R22_S02" } select (v, d)];

    private static List<string> Names(QuantumOrder order) =>
        order.Apply(Quanta, q => q.Visit, q => q.Detector).Select(q => $"{q.Visit}/{q.Detector[^3..]}").ToList();

    [Fact]
    public void Visit_order_is_visit_major()
    {
        Assert.Equal(["1/S00", "1/S02", "1/S11", "3/S00", "3/S02", "3/S11", "5/S00", "5/S02", "5/S11", "7/S00", "7/S02", "7/S11"],
                     Names(QuantumOrder.Parse("visit")));
    }

    [Fact]
    public void Detector_order_keeps_a_detector_together()
    {
        Assert.Equal(["1/S00", "3/S00", "5/S00", "7/S00", "1/S02", "3/S02", "5/S02", "7/S02", "1/S11", "3/S11", "5/S11", "7/S11"],
                     Names(QuantumOrder.Parse("detector")));
    }

    [Fact]
    public void Groups_cluster_by_detector_inside_each_group_of_visits()
    {
        // 4 visits in 3 groups: {1, 3}, {5}, {7}.
        Assert.Equal(["1/S00", "3/S00", "1/S02", "3/S02", "1/S11", "3/S11", "5/S00", "5/S02", "5/S11", "7/S00", "7/S02", "7/S11"],
                     Names(QuantumOrder.Parse("groups:3")));
        // One group is detector order; more groups than visits is visit order.
        Assert.Equal(Names(QuantumOrder.Parse("detector")), Names(QuantumOrder.Parse("groups:1")));
        Assert.Equal(Names(QuantumOrder.Parse("visit")), Names(QuantumOrder.Parse("groups:9")));
    }

    [Theory]
    [InlineData(800, 53)]
    [InlineData(10, 3)]
    [InlineData(5, 5)]
    public void Visit_groups_are_consecutive_and_differ_by_at_most_one(int visits, int groups)
    {
        var map = new QuantumOrder(QuantumOrderKind.Groups, groups).VisitGroups(Enumerable.Range(100, visits).Reverse());
        var sizes = map.GroupBy(p => p.Value).Select(g => g.Count()).ToList();
        Assert.Equal(groups, sizes.Count);
        Assert.True(sizes.Max() - sizes.Min() <= 1);
        Assert.Equal(visits, sizes.Sum());
        for (int v = 101; v < 100 + visits; v++) Assert.True(map[v] >= map[v - 1]);   // consecutive visits, groups in order
        if (visits == 800) Assert.InRange(sizes.Min(), 15, 16);                         // OR5: 53 groups of ~15 visits
    }

    [Theory]
    [InlineData("groups:0")]
    [InlineData("groups:")]
    [InlineData("groups:-2")]
    [InlineData("patch")]
    [InlineData("")]
    public void Bad_orders_are_named(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => QuantumOrder.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains("groups:G", e.Message);
    }

    [Fact]
    public void Parse_round_trips()
    {
        foreach (string s in new[] { "visit", "detector", "groups:53" }) Assert.Equal(s, QuantumOrder.Parse(s).ToString());
        Assert.Equal(QuantumOrder.Parse(" Detector "), new QuantumOrder(QuantumOrderKind.Detector));
    }
}
