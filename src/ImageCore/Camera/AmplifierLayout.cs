using ImageCore.Geometry;

namespace ImageCore.Camera;

/// <summary>
/// The raw geometry of one vendor's amplifier segment, in the segment's own file coordinates
/// (as read from its FITS HDU, before any flip): the regions of prescan, imaging data, serial
/// overscan and parallel overscan, and how the segment is flipped when the CCD is assembled.
/// </summary>
/// <param name="RawWidth">Columns of one segment HDU (NAXIS1).</param>
/// <param name="RawHeight">Rows of one segment HDU (NAXIS2).</param>
/// <param name="Data">Imaging pixels.</param>
/// <param name="SerialPrescan">Columns read before the imaging pixels.</param>
/// <param name="SerialOverscan">Columns read after the imaging pixels (bias level per row).</param>
/// <param name="ParallelOverscan">Rows read after the imaging rows.</param>
/// <param name="FlipTopRow">(flipX, flipY) of the top-row segments C10..C17.</param>
/// <param name="FlipBottomRow">(flipX, flipY) of the bottom-row segments C00..C07.</param>
public sealed record AmplifierLayout(int RawWidth, int RawHeight, Box2I Data, Box2I SerialPrescan, Box2I SerialOverscan,
                                     Box2I ParallelOverscan, (bool X, bool Y) FlipTopRow, (bool X, bool Y) FlipBottomRow)
{
    /// <summary>The full-size layout this one was shrunk from by <see cref="Scaled"/>; null for a full-size layout.</summary>
    public AmplifierLayout? FullSize { get; init; }

    /// <summary>The layout shrunk by <paramref name="scale"/> for fast tests (the simulator's <c>--scale</c>):
    /// the segment is RawWidth/scale x RawHeight/scale; the data keep their size divided by the scale
    /// (rounded), the prescan at least one column; serial and parallel overscan take what is left.
    /// Scale 1 is the layout itself.</summary>
    /// <exception cref="ArgumentException">The scale does not divide the segment, or leaves no overscan.</exception>
    public AmplifierLayout Scaled(int scale)
    {
        if (scale == 1) return this;
        if (scale < 1 || RawWidth % scale != 0 || RawHeight % scale != 0)
            throw new ArgumentException($"scale {scale} must be a positive divisor of the {RawWidth}x{RawHeight} segment", nameof(scale));
        int w = RawWidth / scale, h = RawHeight / scale;
        int dataW = (int)Math.Round((double)Data.Width / scale), dataH = (int)Math.Round((double)Data.Height / scale);
        int pre = Math.Max(1, (int)Math.Round((double)SerialPrescan.Width / scale));
        int serial = w - pre - dataW, parallel = h - dataH;
        if (serial < 1 || parallel < 1 || Data.MinY != 0 || SerialPrescan.MinX != 0)
            throw new ArgumentException($"scale {scale} leaves no overscan in a {w}x{h} segment", nameof(scale));
        return this with
        {
            FullSize = FullSize ?? this,
            RawWidth = w,
            RawHeight = h,
            SerialPrescan = new Box2I(0, 0, pre, dataH),
            Data = new Box2I(pre, 0, dataW, dataH),
            SerialOverscan = new Box2I(pre + dataW, 0, serial, dataH),
            ParallelOverscan = new Box2I(pre, dataH, dataW, parallel),
        };
    }
}
