using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance;

namespace ImageCore.Memory;

/// <summary>
/// A 2-D array of <typeparamref name="T"/> in native memory: the buffer is 64-byte aligned and every
/// row starts on a 64-byte boundary (<see cref="Stride"/> elements apart). Buffers come from a
/// <see cref="PlanePool"/> and go back to it on <see cref="Dispose"/>.
/// </summary>
/// <typeparam name="T">An unmanaged pixel type (float, int, double, ...).</typeparam>
public sealed unsafe class Plane<T> : IDisposable where T : unmanaged
{
    /// <summary>Largest number of elements in one plane (2^34: 64 GiB of float).</summary>
    public const long MaxElements = 1L << 34;

    private readonly PlanePool _pool;
    private readonly nuint _bytes;
    private T* _data;

    /// <summary>Rents a plane of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    /// <param name="width">Columns, at least 0.</param>
    /// <param name="height">Rows, at least 0.</param>
    /// <param name="clear">Zero every element (padding included).</param>
    /// <param name="pool">The pool to rent from; <see cref="PlanePool.Shared"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative size, or more than <see cref="MaxElements"/> elements.</exception>
    /// <exception cref="InsufficientMemoryException">More than the memory available.</exception>
    public Plane(int width, int height, bool clear = true, PlanePool? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        int perLine = PlanePool.Alignment / sizeof(T);
        if (perLine < 1) perLine = 1;
        long stride = (width + (long)perLine - 1) / perLine * perLine;
        if (stride * height > MaxElements)
            throw new ArgumentOutOfRangeException(nameof(width), $"a {width}x{height} plane exceeds {MaxElements} elements");
        Width = width;
        Height = height;
        Stride = (int)stride;
        _pool = pool ?? PlanePool.Shared;
        _bytes = (nuint)(stride * height) * (nuint)sizeof(T);
        try { _data = (T*)_pool.Rent(_bytes, clear); }
        catch (InsufficientMemoryException e)
        {
            throw new InsufficientMemoryException($"a {width} x {height} plane of {typeof(T).Name}: {e.Message}");
        }
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Elements between the starts of consecutive rows (a multiple of 64 bytes).</summary>
    public int Stride { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _data == null;

    /// <summary>Pointer to the first element of row 0 (64-byte aligned). Valid until disposed.</summary>
    public T* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return _data;
        }
    }

    /// <summary>A view of the whole plane (padding excluded).</summary>
    public Span2D<T> AsSpan2D() => new(Pointer, Height, Width, Stride - Width);

    /// <summary>Row <paramref name="y"/> as a span of <see cref="Width"/> elements.</summary>
    public Span<T> GetRowSpan(int y)
    {
        if ((uint)y >= (uint)Height) ThrowRow(y);
        return new Span<T>(Pointer + (long)y * Stride, Width);
    }

    /// <summary>Element at column <paramref name="x"/>, row <paramref name="y"/> (bounds-checked).</summary>
    public ref T this[int x, int y]
    {
        get
        {
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) ThrowIndex(x, y);
            return ref Unsafe.AsRef<T>(Pointer + (long)y * Stride + x);
        }
    }

    /// <summary>Sets every pixel to <paramref name="value"/>.</summary>
    public void Fill(T value)
    {
        for (int y = 0; y < Height; y++) GetRowSpan(y).Fill(value);
    }

    /// <summary>Returns the buffer to its pool. Views taken earlier must no longer be used.</summary>
    public void Dispose()
    {
        T* p = _data;
        if (p == null) return;
        _data = null;
        _pool.Return(p, _bytes);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the buffer if the owner forgot to dispose.</summary>
    ~Plane()
    {
        if (_data != null) _pool.Return(_data, _bytes);
    }

    private void ThrowRow(int y) => throw new ArgumentOutOfRangeException(nameof(y), $"row {y} is outside 0..{Height - 1}");

    private void ThrowIndex(int x, int y) =>
        throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x},{y}) is outside the {Width}x{Height} plane");
}
