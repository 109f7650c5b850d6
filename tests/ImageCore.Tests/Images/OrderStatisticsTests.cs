using ImageCore.Coadd;
using ImageCore.Images;

namespace ImageCore.Tests.Images;

public class OrderStatisticsTests
{
    /// <summary>Random values of a few kinds: spread out, many ties (whole numbers in a narrow range, as raw ADU), sorted,
    /// reversed, all equal, with infinities and signed zeros.</summary>
    private static float[] Values(int n, int kind, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
            v[i] = kind switch
            {
                0 => (float)(rng.NextDouble() * 2000 - 1000),
                1 => rng.Next(-3, 4),
                2 => i,
                3 => n - i,
                4 => 7,
                _ => rng.Next(6) switch { 0 => float.PositiveInfinity, 1 => float.NegativeInfinity, 2 => -0f, 3 => 0f, _ => (float)rng.NextDouble() },
            };
        return v;
    }

    public static TheoryData<int> Lengths => [.. Enumerable.Range(1, 34), 63, 64, 65, 255, 256, 257, 1001];

    [Theory, MemberData(nameof(Lengths))]
    public void Select_gives_the_kth_of_the_sorted_values_and_partitions_around_it(int n)
    {
        var rng = new Random(n);
        for (int kind = 0; kind < 6; kind++)
        {
            var values = Values(n, kind, rng);
            var sorted = values.ToArray();
            Array.Sort(sorted);
            foreach (int k in n <= 40 ? Enumerable.Range(0, n) : [0, 1, n / 4, n / 2, n - 2, n - 1])
            {
                var work = values.ToArray();
                float x = OrderStatistics.Select(work, k);
                Assert.True(x.Equals(sorted[k]) || x == sorted[k], $"n {n} kind {kind} k {k}: {x} vs {sorted[k]}");
                Assert.Equal(x, work[k]);
                for (int i = 0; i < k; i++) Assert.True(work[i] <= x, $"n {n} kind {kind} k {k}: [{i}] = {work[i]} > {x}");
                for (int i = k + 1; i < n; i++) Assert.True(work[i] >= x, $"n {n} kind {kind} k {k}: [{i}] = {work[i]} < {x}");
                var rest = work.ToArray();
                Array.Sort(rest);
                Assert.Equal(sorted, rest);   // a permutation of the input
            }
        }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void SelectQuantile_equals_the_interpolated_quantile_of_the_sorted_values_to_the_bit(int n)
    {
        var rng = new Random(1000 + n);
        for (int kind = 0; kind < 5; kind++)   // finite values: the sorted-quantile formula is then the same arithmetic
        {
            var values = Values(n, kind, rng);
            var sorted = values.Select(v => (double)v).Order().ToArray();
            foreach (double q in new[] { 0, 0.25, 0.5, 0.75, 1, rng.NextDouble() })
            {
                double expected = StackStatistics.Quantile(sorted, q);
                double actual = OrderStatistics.SelectQuantile(values.ToArray(), q);
                Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
                            $"n {n} kind {kind} q {q}: {actual} vs {expected}");
            }
        }
    }
}
