using ImageCore.Camera;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>
/// The calibration cache: sits between ISR and a calibration store (<see cref="CalibrationDirectory"/>, possibly
/// behind a <see cref="ThrottledCalibrationStore"/>) and is itself an <see cref="ICalibrationSource"/>. Entries are
/// keyed by <see cref="CalibrationCacheKey"/> (type, detector, band, validity) and kept as the <see cref="CachePolicy"/>
/// says. All six calibration types are cached and each counts as one dataset; an entry's size is its stored size
/// (<see cref="CalibrationLease{T}.StoredBytes"/>, the file's bytes), which is also what <c>bytes:SIZE</c> bounds.
/// <para>Thread-safe, with single-flight loading: requests for a key that is being read wait for that one read and
/// share its result; if the read fails, every one of them gets its exception (the store's
/// <see cref="CalibrationException"/>, naming the file) and nothing is cached, so the next request reads again.
/// With <see cref="CacheMode.None"/> every request reads the store on its own.</para>
/// <para>Ownership: every request gets its own lease on the shared value, which is read-only. An entry's memory
/// is freed when it is neither held by the cache nor leased: an evicted entry lives until its last lease is
/// disposed. Disposing the cache drops every entry (freeing those not leased); leases still out stay valid.</para>
/// </summary>
public sealed class CalibrationCache : ICalibrationSource, IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<CalibrationCacheKey, Entry> _held = [];
    private readonly LinkedList<Entry> _order = new();   // first: the next to be evicted
    private readonly Dictionary<CalibrationCacheKey, PendingLoad> _loading = [];
    private long _hits, _misses, _bytesReadFromStore, _evictions, _bytesHeld;
    private bool _disposed;

    private CalibrationCache(CachePolicy policy, ICalibrationSource store) => (Policy, Store) = (policy, store);

    /// <summary>A cache with <paramref name="policy"/> in front of <paramref name="store"/> (which it does not own or dispose).</summary>
    /// <exception cref="ArgumentException">An invalid policy (<see cref="CachePolicy.Validate"/>).</exception>
    public static CalibrationCache Create(CachePolicy policy, ICalibrationSource store)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(store);
        policy.Validate();
        return new CalibrationCache(policy, store);
    }

    /// <summary>What is kept and what is evicted first.</summary>
    public CachePolicy Policy { get; }

    /// <summary>Where misses are read from.</summary>
    public ICalibrationSource Store { get; }

    /// <summary>A consistent snapshot of the counters.</summary>
    public CalibrationCacheCounters Counters
    {
        get
        {
            lock (_gate) return new CalibrationCacheCounters(_hits, _misses, _bytesReadFromStore, _evictions, _bytesHeld, _held.Count);
        }
    }

    /// <summary>The keys held now, in eviction order (the next to go first).</summary>
    public IReadOnlyList<CalibrationCacheKey> HeldKeys()
    {
        lock (_gate) return _order.Select(e => e.Key).ToArray();
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public CalibrationLease<Exposure> GetBias(Detector detector) => Get(CalibrationType.Bias, detector, null, static (s, d, _) => s.GetBias(d));

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public CalibrationLease<Exposure> GetDark(Detector detector) => Get(CalibrationType.Dark, detector, null, static (s, d, _) => s.GetDark(d));

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public CalibrationLease<Exposure> GetFlat(Detector detector, string band)
    {
        ArgumentNullException.ThrowIfNull(band);
        return Get(CalibrationType.Flat, detector, band, static (s, d, b) => s.GetFlat(d, b!));
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) => Get(CalibrationType.Defects, detector, null, static (s, d, _) => s.GetDefects(d));

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public CalibrationLease<double[,]> GetCrosstalk(Detector detector) => Get(CalibrationType.Crosstalk, detector, null, static (s, d, _) => s.GetCrosstalk(d));

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) => Get(CalibrationType.Linearity, detector, null, static (s, d, _) => s.GetLinearity(d));

    /// <inheritdoc/>
    public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) => Get(CalibrationType.Amplifiers, detector, null, static (s, d, _) => s.GetAmplifiers(d));

    /// <inheritdoc/>
    public CalibrationValidity GetValidity(CalibrationType type, Detector detector, string? band) => Store.GetValidity(type, detector, band);

    /// <summary>Drops every entry, freeing those that are not leased; leases still out stay valid until disposed.
    /// Later requests throw <see cref="ObjectDisposedException"/>. Not counted as evictions.</summary>
    public void Dispose()
    {
        List<Entry> freed = [];
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var e in _order)
            {
                e.Node = null;
                if (--e.References == 0) freed.Add(e);
            }
            _order.Clear();
            _held.Clear();
            _bytesHeld = 0;
        }
        Free(freed);
    }

    private CalibrationLease<T> Get<T>(CalibrationType type, Detector detector, string? band,
                                       Func<ICalibrationSource, Detector, string?, CalibrationLease<T>> load) where T : class
    {
        ArgumentNullException.ThrowIfNull(detector);
        if (Policy.Mode == CacheMode.None) return ReadThrough(detector, band, load);
        var key = new CalibrationCacheKey(type, detector.Name, band, Store.GetValidity(type, detector, band));
        PendingLoad? shared, mine = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_held.TryGetValue(key, out var held))
            {
                _hits++;
                held.References++;
                if (Policy.Mode == CacheMode.LruDatasets)
                {
                    _order.Remove(held.Node!);
                    _order.AddLast(held.Node!);
                }
                return Lease<T>(held);
            }
            if (_loading.TryGetValue(key, out shared))
            {
                _hits++;
                shared.Waiters++;   // the loader hands each waiter one reference
            }
            else
            {
                _misses++;
                _loading.Add(key, mine = new PendingLoad());
            }
        }
        if (shared is not null) return Lease<T>(shared.Done.Task.GetAwaiter().GetResult());   // rethrows the loader's exception as it was

        CalibrationLease<T> stored;
        try
        {
            stored = load(Store, detector, band);
        }
        catch (Exception e)
        {
            lock (_gate) _loading.Remove(key);
            mine!.Done.SetException(e);
            _ = mine.Done.Task.Exception;   // observed here, whether or not anyone was waiting
            throw;
        }
        var entry = new Entry(key, stored, stored.Value, stored.StoredBytes);
        List<Entry> freed = [];
        lock (_gate)
        {
            _loading.Remove(key);
            _bytesReadFromStore += entry.Bytes;
            entry.References = 1 + mine!.Waiters;
            if (!_disposed && Keeps(entry))
            {
                entry.References++;
                _held.Add(key, entry);
                entry.Node = _order.AddLast(entry);
                _bytesHeld += entry.Bytes;
                EvictOverflow(freed);
            }
        }
        mine.Done.SetResult(entry);
        Free(freed);
        return Lease<T>(entry);
    }

    /// <summary><see cref="CacheMode.None"/>: the store's own lease, counted as a miss.</summary>
    private CalibrationLease<T> ReadThrough<T>(Detector detector, string? band, Func<ICalibrationSource, Detector, string?, CalibrationLease<T>> load) where T : class
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _misses++;
        }
        var lease = load(Store, detector, band);
        lock (_gate) _bytesReadFromStore += lease.StoredBytes;
        return lease;
    }

    /// <summary>Whether the policy keeps a new entry at all (under the lock).</summary>
    private bool Keeps(Entry entry) => Policy.Mode switch
    {
        CacheMode.Bytes => entry.Bytes <= Policy.Limit,
        CacheMode.Datasets or CacheMode.LruDatasets or CacheMode.Unbounded => true,
        _ => false,
    };

    /// <summary>Evicts from the front of the order until the policy's limit holds (under the lock). The newest entry
    /// is never evicted here: it fits the limit on its own.</summary>
    private void EvictOverflow(List<Entry> freed)
    {
        while (_order.First is { } first && Policy.Mode switch
               {
                   CacheMode.Datasets or CacheMode.LruDatasets => _held.Count > Policy.Limit,
                   CacheMode.Bytes => _bytesHeld > Policy.Limit,
                   _ => false,
               })
        {
            var e = first.Value;
            _order.RemoveFirst();
            e.Node = null;
            _held.Remove(e.Key);
            _bytesHeld -= e.Bytes;
            _evictions++;
            if (--e.References == 0) freed.Add(e);
        }
    }

    private CalibrationLease<T> Lease<T>(Entry entry) where T : class => new((T)entry.Value, entry.Bytes, () => Release(entry));

    private void Release(Entry entry)
    {
        bool free;
        lock (_gate) free = --entry.References == 0;
        if (free) entry.StoreLease.Dispose();
    }

    /// <summary>Frees entries outside the lock (disposing the store's lease returns an exposure's planes to their pool).</summary>
    private static void Free(List<Entry> entries)
    {
        foreach (var e in entries) e.StoreLease.Dispose();
    }

    /// <summary>One dataset read from the store. <see cref="References"/>: one for the cache while held, one per lease out
    /// (guarded by the cache's lock); at zero the store's lease is disposed.</summary>
    private sealed class Entry(CalibrationCacheKey key, IDisposable storeLease, object value, long bytes)
    {
        public CalibrationCacheKey Key { get; } = key;
        public IDisposable StoreLease { get; } = storeLease;
        public object Value { get; } = value;
        public long Bytes { get; } = bytes;
        public int References;
        public LinkedListNode<Entry>? Node;
    }

    /// <summary>A store read under way; <see cref="Waiters"/> (guarded by the cache's lock) counts the requests sharing it.</summary>
    private sealed class PendingLoad
    {
        public TaskCompletionSource<Entry> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Waiters;
    }
}
