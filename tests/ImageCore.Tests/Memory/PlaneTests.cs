using ImageCore.Memory;

namespace ImageCore.Tests.Memory;

public class PlaneTests
{
    [Theory]
    [InlineData(0, 0), InlineData(1, 1), InlineData(17, 3), InlineData(4072, 2), InlineData(16, 16)]
    public unsafe void Rows_start_on_64_byte_boundaries(int width, int height)
    {
        var pool = new PlanePool(1 << 20);
        using var p = new Plane<float>(width, height, pool: pool);
        Assert.Equal(0, (long)p.Pointer % 64);
        Assert.Equal(0, p.Stride * sizeof(float) % 64);
        Assert.True(p.Stride >= width);
        for (int y = 0; y < height; y++)
            fixed (float* row = p.GetRowSpan(y)) Assert.Equal(0, (long)row % 64);
        Assert.All(Enumerable.Range(0, height).SelectMany(y => p.GetRowSpan(y).ToArray()), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Buffers_are_reused_and_every_rent_is_returned()
    {
        var pool = new PlanePool(1 << 20);
        nint first;
        unsafe
        {
            using var a = new Plane<int>(100, 10, pool: pool);
            first = (nint)a.Pointer;
            Assert.Equal(1, pool.Outstanding);
        }
        unsafe
        {
            using var b = new Plane<int>(100, 10, clear: true, pool: pool);
            Assert.Equal(first, (nint)b.Pointer);
            Assert.All(b.GetRowSpan(9).ToArray(), v => Assert.Equal(0, v));
        }
        Assert.Equal(0, pool.Outstanding);
        Assert.True(pool.RetainedBytes > 0);
        pool.Trim();
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void Pool_frees_buffers_beyond_its_retention_limit()
    {
        var pool = new PlanePool(4096);
        var planes = Enumerable.Range(0, 4).Select(_ => new Plane<byte>(1024, 2, pool: pool)).ToList();
        planes.ForEach(p => p.Dispose());
        Assert.True(pool.RetainedBytes <= 4096);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public unsafe void A_full_pool_keeps_the_size_in_use_and_frees_the_least_recently_used_ones()
    {
        // Room for two 4 KiB buffers: after two of size A, a returned buffer of size B evicts an A (used longest ago)
        // instead of being freed itself, so the next rent of B gets it back.
        var pool = new PlanePool(8192);
        void* a1 = pool.Rent(4096, false), a2 = pool.Rent(4096, false);
        pool.Return(a1, 4096);
        pool.Return(a2, 4096);
        Assert.Equal(8192, pool.RetainedBytes);
        void* b = pool.Rent(4032, false);
        pool.Return(b, 4032);
        Assert.True(pool.RetainedBytes <= 8192, $"{pool.RetainedBytes} retained");
        Assert.Equal((nint)b, (nint)pool.Rent(4032, false));
        Assert.Equal(4096, pool.RetainedBytes);   // one A left
        // A buffer larger than the whole limit is freed, and evicts nothing.
        void* huge = pool.Rent(16384, false);
        pool.Return(huge, 16384);
        Assert.Equal(4096, pool.RetainedBytes);
        pool.Trim();
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void Bad_sizes_and_indices_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Plane<float>(-1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Plane<float>(1 << 20, 1 << 20));
        using var p = new Plane<float>(3, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => p[3, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.GetRowSpan(2));
        p.Dispose();
        Assert.Throws<ObjectDisposedException>(() => p.AsSpan2D());
    }
}
