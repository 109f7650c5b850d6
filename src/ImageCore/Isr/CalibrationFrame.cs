using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Isr;

/// <summary>
/// A master bias, dark or flat as the fused ISR pass reads it: a band of detector rows of its image, mask and
/// variance at a time. <see cref="InMemory"/> hands out views of an exposure already read (from the calibration
/// cache, say); <see cref="Streamed"/> reads each band from the file into the caller's buffers, so that the frame is
/// never held whole in memory.
/// </summary>
internal abstract class CalibrationFrame
{
    /// <summary>The frame's primary header (DARKTIME of a dark, say).</summary>
    public abstract FitsHeader Metadata { get; }

    /// <summary>Rows per band that suit this frame: any number for one in memory; for one read from its file, few
    /// enough that a band of all three frames stays in the core's cache.</summary>
    public abstract int BandRows { get; }

    /// <summary>A buffer for <see cref="Read"/> of up to <paramref name="rows"/> rows (null when none is needed);
    /// one per thread, disposed by the caller.</summary>
    public abstract FrameBuffer? NewBuffer(int rows);

    /// <summary>Rows <paramref name="firstRow"/>..+<paramref name="rows"/> (0 = the first row of the detector box), in
    /// <paramref name="buffer"/> from <see cref="NewBuffer"/> when one is needed.</summary>
    /// <exception cref="CalibrationException">The frame's file could not be read.</exception>
    public abstract FrameBand Read(int firstRow, int rows, FrameBuffer? buffer);

    /// <summary>A frame in memory.</summary>
    public static CalibrationFrame InMemory(Exposure exposure) => new MemoryFrame(exposure);

    /// <summary>A frame read band by band from its file; <paramref name="kind"/> (bias, dark, flat) names it in errors.</summary>
    public static CalibrationFrame Streamed(string kind, ExposureBandReader reader) => new StreamedFrame(kind, reader);

    private sealed class MemoryFrame(Exposure exposure) : CalibrationFrame
    {
        public override FitsHeader Metadata => exposure.Metadata;
        public override int BandRows => 32;
        public override FrameBuffer? NewBuffer(int rows) => null;

        public override FrameBand Read(int firstRow, int rows, FrameBuffer? buffer)
        {
            var mi = exposure.MaskedImage;
            int width = mi.Image.Width;
            return new FrameBand(mi.Image.Pixels.Slice(firstRow, 0, rows, width), mi.Mask.Image.Pixels.Slice(firstRow, 0, rows, width),
                                 mi.Variance.Pixels.Slice(firstRow, 0, rows, width));
        }
    }

    private sealed class StreamedFrame(string kind, ExposureBandReader reader) : CalibrationFrame
    {
        public override FitsHeader Metadata => reader.Metadata;
        public override int BandRows => 8;   // 8 rows of 3 planes of 3 frames of an LSSTCam detector: 1.2 MB
        public override FrameBuffer? NewBuffer(int rows) => new(reader.BBox.Width, rows);

        public override FrameBand Read(int firstRow, int rows, FrameBuffer? buffer)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            int width = buffer.Image.Width;
            var image = buffer.Image.AsSpan2D().Slice(0, 0, rows, width);
            var mask = buffer.Mask.AsSpan2D().Slice(0, 0, rows, width);
            var variance = buffer.Variance.AsSpan2D().Slice(0, 0, rows, width);
            try { reader.ReadBand(firstRow, image, mask, variance); }
            catch (FitsFormatException e) { throw new CalibrationException(kind, reader.Name, e.Message); }
            catch (IOException e) { throw new CalibrationException(kind, reader.Name, e.Message); }
            return new FrameBand(image, mask, variance);
        }
    }
}

/// <summary>A band of a <see cref="CalibrationFrame"/>: its rows of image, mask and variance.</summary>
internal readonly ref struct FrameBand(Span2D<float> image, Span2D<int> mask, Span2D<float> variance)
{
    /// <summary>Image rows.</summary>
    public Span2D<float> Image { get; } = image;
    /// <summary>Mask rows.</summary>
    public Span2D<int> Mask { get; } = mask;
    /// <summary>Variance rows.</summary>
    public Span2D<float> Variance { get; } = variance;
}

/// <summary>Pooled planes of a few rows that a <see cref="CalibrationFrame"/> reads a band into.</summary>
internal sealed class FrameBuffer(int width, int rows) : IDisposable
{
    /// <summary>Image rows.</summary>
    public Plane<float> Image { get; } = new(width, rows, clear: false);
    /// <summary>Mask rows.</summary>
    public Plane<int> Mask { get; } = new(width, rows, clear: false);
    /// <summary>Variance rows.</summary>
    public Plane<float> Variance { get; } = new(width, rows, clear: false);

    /// <summary>Returns the planes to the pool.</summary>
    public void Dispose()
    {
        Image.Dispose();
        Mask.Dispose();
        Variance.Dispose();
    }
}
