using System.Globalization;
using System.Numerics.Tensors;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// The control: STREAM's triad <c>a = b + s * c</c> over three float arrays per worker thread (allocated and first-touched
/// by that thread), repeated <see cref="Repeats"/> times per quantum. Its bytes are exact: 3 arrays x 4 bytes x length x
/// repeats (as STREAM counts; a write-allocate's extra read is not counted).
/// </summary>
internal sealed class StreamWorkload : IContentionWorkload
{
    private readonly ThreadLocal<float[][]> _arrays;

    /// <summary>A triad over arrays of <paramref name="arrayBytes"/> bytes each, <paramref name="repeats"/> times per quantum.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 4 KiB or fewer than one repeat.</exception>
    public StreamWorkload(long arrayBytes, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arrayBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(arrayBytes, (long)Array.MaxLength * 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        (Length, Repeats) = ((int)(arrayBytes / 4), repeats);
        _arrays = new ThreadLocal<float[][]>(() =>
        {
            var arrays = new[] { new float[Length], new float[Length], new float[Length] };
            arrays[1].AsSpan().Fill(1f);
            arrays[2].AsSpan().Fill(2f);
            return arrays;
        }, trackAllValues: false);
    }

    /// <summary>Floats per array.</summary>
    public int Length { get; }

    /// <summary>Triads per quantum.</summary>
    public int Repeats { get; }

    /// <inheritdoc/>
    public string Name => "stream";

    /// <inheritdoc/>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"STREAM triad over 3 x {Length * 4L / (1 << 20)} MiB per worker, {Repeats} times");

    /// <inheritdoc/>
    public long BytesPerQuantum => 3L * 4 * Length * Repeats;

    /// <inheritdoc/>
    public long WorkingSetBytes => 3L * 4 * Length;

    /// <inheritdoc/>
    public void Run()
    {
        var a = _arrays.Value!;
        for (int r = 0; r < Repeats; r++) TensorPrimitives.MultiplyAdd(a[2], 0.5f, a[1], a[0]);
    }

    /// <inheritdoc/>
    public void Dispose() => _arrays.Dispose();
}
