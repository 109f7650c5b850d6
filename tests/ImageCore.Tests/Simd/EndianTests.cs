using ImageCore.Simd;

namespace ImageCore.Tests.Simd;

public class EndianTests
{
    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        int[] lengths = [.. Enumerable.Range(0, 34), 63, 64, 65, 127, 128, 129, 255, 256, 257, 4099];
        foreach (int size in new[] { 1, 2, 4, 8 })
            foreach (int n in lengths) data.Add(size, n);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Vector_swap_matches_scalar_reference(int size, int elements)
    {
        var rng = new Random(1000 * size + elements);
        foreach (int misalign in new[] { 0, 1, 3 })
            foreach (ulong xor in new ulong[] { 0, 1UL << (8 * size - 1), 0x0123456789ABCDEF })
            {
                byte[] src = new byte[elements * size + misalign];
                rng.NextBytes(src);
                var s = src.AsSpan(misalign);
                byte[] expected = new byte[s.Length], actual = new byte[s.Length + 5];
                EndianReference.Swap(s, expected, size, xor);
                Endian.Swap(s, actual.AsSpan(1), size, xor);   // unaligned destination too
                Assert.Equal(expected, actual.AsSpan(1, s.Length).ToArray());
                Assert.Equal(0, actual[0]);
                Assert.All(actual[(1 + s.Length)..], b => Assert.Equal(0, b));   // nothing written past the end
            }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Swap_in_place_equals_out_of_place_and_is_an_involution(int size, int elements)
    {
        var rng = new Random(7 + size * 31 + elements);
        byte[] original = new byte[elements * size];
        rng.NextBytes(original);
        byte[] copy = (byte[])original.Clone(), outOfPlace = new byte[original.Length];
        Endian.Swap(original, outOfPlace, size, 0x80);
        Endian.Swap(copy, copy, size, 0x80);
        Assert.Equal(outOfPlace, copy);
        Endian.Swap(copy, copy, size, SwapMask(size, 0x80));
        Assert.Equal(original, copy);
    }

    private static ulong SwapMask(int size, ulong xor)
    {
        // xor is applied after the swap; undoing needs it before the reverse swap, i.e. byte-reversed.
        byte[] b = BitConverter.GetBytes(xor)[..size];
        Array.Reverse(b);
        return BitConverter.ToUInt64([.. b, .. new byte[8 - size]]);
    }

    [Fact]
    public void Float_special_values_survive_a_round_trip_bit_exact()
    {
        float[] values = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, 1.5f,
                          BitConverter.Int32BitsToSingle(0x7FC00001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFA00000))];
        byte[] be = new byte[values.Length * 4], back = new byte[be.Length];
        Endian.Swap(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), be, 4);
        Assert.Equal(0x7F, be[4]);  // +inf big-endian: 7F 80 00 00
        Assert.Equal(0x80, be[5]);
        Endian.Swap(be, back, 4);
        Assert.Equal(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), back);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Endian.Swap(new byte[6], new byte[6], 4));
        Assert.Throws<ArgumentException>(() => Endian.Swap(new byte[8], new byte[4], 4));
        Assert.Throws<ArgumentException>(() => Endian.Swap(new byte[8], new byte[8], 3));
        byte[] buf = new byte[16];
        Assert.Throws<ArgumentException>(() => Endian.Swap(buf.AsSpan(0, 8), buf.AsSpan(4, 8), 4));
    }

    [Theory]
    [InlineData(0), InlineData(1), InlineData(3), InlineData(4), InlineData(31), InlineData(32), InlineData(33), InlineData(1000), InlineData(4097)]
    public void Ones_complement_sum_matches_scalar_reference(int n)
    {
        var rng = new Random(n);
        byte[] data = new byte[n + 1];
        rng.NextBytes(data);
        var s = data.AsSpan(1);  // unaligned
        Assert.Equal(OnesComplementSum.Fold(OnesComplementSum.AddReference(0, s)), OnesComplementSum.Fold(OnesComplementSum.Add(0, s)));
        byte[] ones = Enumerable.Repeat((byte)0xFF, 4096).ToArray();
        Assert.Equal(0xFFFFFFFFu, OnesComplementSum.Fold(OnesComplementSum.Add(0, ones)));
    }
}
