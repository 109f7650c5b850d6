using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ImageCore.Memory;

/// <summary>
/// A pool of 64-byte aligned native buffers for image planes. Buffers are bucketed by exact byte
/// size (planes of one detector format recur), and the pool keeps at most
/// <see cref="MaxRetainedBytes"/> bytes. A buffer returned to a full pool makes room by freeing the
/// retained buffers of the sizes least recently rented or returned, so that a pipeline moving from
/// one plane format to the next (detectors, then patches) keeps the sizes it uses now rather than the
/// ones it used first; a buffer larger than the whole limit is freed.
/// </summary>
/// <remarks>Thread-safe. Buffers are not cleared on rent unless asked.</remarks>
public sealed unsafe class PlanePool
{
    /// <summary>The alignment of every buffer, in bytes (one cache line, one AVX-512 vector).</summary>
    public const int Alignment = 64;

    private readonly ConcurrentDictionary<nuint, Bucket> _free = new();
    private long _clock;
    private long _retainedBytes;
    private long _outstanding;

    /// <summary>Creates a pool that retains at most <paramref name="maxRetainedBytes"/> bytes of free buffers.</summary>
    public PlanePool(long maxRetainedBytes) => MaxRetainedBytes = maxRetainedBytes;

    /// <summary>The process-wide pool: retains up to 2 GiB of free planes.</summary>
    public static PlanePool Shared { get; } = new(2L << 30);

    /// <summary>Upper bound on the bytes held by free (returned) buffers.</summary>
    public long MaxRetainedBytes { get; }

    /// <summary>Bytes currently held by free buffers in the pool.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>Number of buffers rented and not yet returned (for leak checks in tests).</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Rents a buffer of exactly <paramref name="bytes"/> bytes, 64-byte aligned.</summary>
    /// <param name="bytes">Size in bytes; 0 gives a valid non-null 64-byte buffer.</param>
    /// <param name="clear">Zero the buffer before returning it.</param>
    /// <exception cref="InsufficientMemoryException">The buffer is larger than the memory available (<see cref="MemoryBudget"/>).</exception>
    /// <exception cref="OutOfMemoryException">The allocation failed.</exception>
    internal void* Rent(nuint bytes, bool clear)
    {
        nuint size = bytes == 0 ? Alignment : bytes;
        void* p = null;
        if (_free.TryGetValue(size, out var bucket))
        {
            bucket.Touch(Interlocked.Increment(ref _clock));
            if (bucket.Buffers.TryTake(out nint cached))
            {
                Interlocked.Add(ref _retainedBytes, -(long)size);
                p = (void*)cached;
            }
        }
        if (p == null)
        {
            MemoryBudget.EnsureAvailable(size, "an image buffer");
            if (HugePages.Worthwhile(size))
            {
                // Whole huge pages: the buffer starts on a 2 MiB boundary and its length is rounded up,
                // so the advice covers only memory this buffer owns.
                nuint rounded = (size + HugePages.Size - 1) & ~(HugePages.Size - 1);
                p = NativeMemory.AlignedAlloc(rounded, HugePages.Size);
                HugePages.Advise(p, rounded);
            }
            else p = NativeMemory.AlignedAlloc(size, Alignment);
        }
        if (clear) NativeMemory.Clear(p, size);
        Interlocked.Increment(ref _outstanding);
        return p;
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/> with the same <paramref name="bytes"/>.</summary>
    internal void Return(void* buffer, nuint bytes)
    {
        if (buffer == null) return;
        nuint size = bytes == 0 ? Alignment : bytes;
        Interlocked.Decrement(ref _outstanding);
        var bucket = _free.GetOrAdd(size, static _ => new Bucket());
        bucket.Touch(Interlocked.Increment(ref _clock));
        if ((long)size <= MaxRetainedBytes)
        {
            if (Interlocked.Add(ref _retainedBytes, (long)size) > MaxRetainedBytes) MakeRoom(size);
            if (Interlocked.Read(ref _retainedBytes) <= MaxRetainedBytes)
            {
                bucket.Buffers.Add((nint)buffer);
                return;
            }
            Interlocked.Add(ref _retainedBytes, -(long)size);
        }
        NativeMemory.AlignedFree(buffer);
    }

    /// <summary>Frees retained buffers of other sizes, least recently used bucket first, until the pool is within its
    /// limit (the bytes of the buffer being returned already counted).</summary>
    private void MakeRoom(nuint keep)
    {
        foreach (var (size, bucket) in _free.Where(b => b.Key != keep).OrderBy(b => b.Value.LastUsed).ToList())
            while (Interlocked.Read(ref _retainedBytes) > MaxRetainedBytes && bucket.Buffers.TryTake(out nint p))
            {
                Interlocked.Add(ref _retainedBytes, -(long)size);
                NativeMemory.AlignedFree((void*)p);
            }
    }

    /// <summary>The free buffers of one size and when that size was last rented or returned.</summary>
    private sealed class Bucket
    {
        private long _lastUsed;

        public ConcurrentBag<nint> Buffers { get; } = new();

        public long LastUsed => Interlocked.Read(ref _lastUsed);

        public void Touch(long now) => Interlocked.Exchange(ref _lastUsed, now);
    }

    /// <summary>Frees every retained buffer.</summary>
    public void Trim()
    {
        foreach (var (size, bucket) in _free)
            while (bucket.Buffers.TryTake(out nint p))
            {
                Interlocked.Add(ref _retainedBytes, -(long)size);
                NativeMemory.AlignedFree((void*)p);
            }
    }
}
