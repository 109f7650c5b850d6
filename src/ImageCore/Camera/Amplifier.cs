using ImageCore.Geometry;

namespace ImageCore.Camera;

/// <summary>
/// One amplifier (segment) of a detector: its electronics (gain, read noise, saturation) and where
/// its pixels lie in the raw file, in the assembled untrimmed image and in the trimmed detector image.
/// Boxes named <c>Raw*</c> are in the assembled untrimmed frame (flips applied, afw's convention after
/// <c>Amplifier.Builder.transform</c>); <see cref="BBox"/> is in the trimmed detector frame.
/// </summary>
public sealed class Amplifier
{
    internal Amplifier(string name, int hduIndex, AmplifierLayout layout, double gain, double readNoise, double saturation)
    {
        Name = name;
        HduIndex = hduIndex;
        Ix = name[2] - '0';
        Iy = name[1] - '0';
        Gain = gain;
        ReadNoise = readNoise;
        Saturation = saturation;
        (FlipX, FlipY) = Iy == 1 ? layout.FlipTopRow : layout.FlipBottomRow;
        RawXYOffset = new Point2I(Ix * layout.RawWidth, Iy * layout.RawHeight);
        BBox = new Box2I(Ix * layout.Data.Width, Iy * layout.Data.Height, layout.Data.Width, layout.Data.Height);
        RawBBox = new Box2I(RawXYOffset.X, RawXYOffset.Y, layout.RawWidth, layout.RawHeight);
        RawDataBBox = Place(layout.Data, layout);
        RawSerialPrescanBBox = Place(layout.SerialPrescan, layout);
        RawSerialOverscanBBox = Place(layout.SerialOverscan, layout);
        RawParallelOverscanBBox = Place(layout.ParallelOverscan, layout);
        DataSec = new IrafSection(layout.Data);
        BiasSec = new IrafSection(layout.SerialOverscan);
        DetSec = new IrafSection(BBox, FlipX, FlipY);
    }

    /// <summary>DATASEC of the segment's raw HDU: the imaging pixels in the segment's file coordinates.</summary>
    public IrafSection DataSec { get; }

    /// <summary>BIASSEC of the segment's raw HDU: the serial overscan in the segment's file coordinates.</summary>
    public IrafSection BiasSec { get; }

    /// <summary>DETSEC of the segment's raw HDU: where DATASEC lands in the trimmed detector image,
    /// ranges written high-to-low on mirrored axes.</summary>
    public IrafSection DetSec { get; }

    /// <summary>Segment name, C10..C17 (top row) or C00..C07 (bottom row).</summary>
    public string Name { get; }

    /// <summary>1-based HDU of this segment in a raw file (C10..C17 are HDUs 1-8, C07..C00 HDUs 9-16).</summary>
    public int HduIndex { get; }

    /// <summary>FITS EXTNAME of this segment in a raw file: <c>Segment</c> + the two digits.</summary>
    public string ExtName => "Segment" + Name[1..];

    /// <summary>Column of the segment in the 8 x 2 grid (0-7).</summary>
    public int Ix { get; }

    /// <summary>Row of the segment in the grid: 1 for C1x (top), 0 for C0x.</summary>
    public int Iy { get; }

    /// <summary>Gain, e-/ADU.</summary>
    public double Gain { get; }

    /// <summary>Read noise, e-.</summary>
    public double ReadNoise { get; }

    /// <summary>Saturation level, ADU.</summary>
    public double Saturation { get; }

    /// <summary>The raw segment is mirrored in x when assembled.</summary>
    public bool FlipX { get; }

    /// <summary>The raw segment is mirrored in y when assembled.</summary>
    public bool FlipY { get; }

    /// <summary>Where the segment's raw box starts in the assembled untrimmed image.</summary>
    public Point2I RawXYOffset { get; }

    /// <summary>Imaging pixels in the trimmed, assembled detector image.</summary>
    public Box2I BBox { get; }

    /// <summary>The whole segment in the assembled untrimmed image.</summary>
    public Box2I RawBBox { get; }

    /// <summary>Imaging pixels in the assembled untrimmed image.</summary>
    public Box2I RawDataBBox { get; }

    /// <summary>Serial prescan in the assembled untrimmed image.</summary>
    public Box2I RawSerialPrescanBBox { get; }

    /// <summary>Serial overscan in the assembled untrimmed image.</summary>
    public Box2I RawSerialOverscanBBox { get; }

    /// <summary>Parallel overscan in the assembled untrimmed image.</summary>
    public Box2I RawParallelOverscanBBox { get; }

    /// <summary>A box of the segment's file coordinates placed in the assembled untrimmed frame:
    /// mirrored as the flips say (min' = W - 1 - max), then shifted by <see cref="RawXYOffset"/>.</summary>
    private Box2I Place(Box2I local, AmplifierLayout layout)
    {
        int x0 = FlipX ? layout.RawWidth - local.MinX - local.Width : local.MinX;
        int y0 = FlipY ? layout.RawHeight - local.MinY - local.Height : local.MinY;
        return new Box2I(RawXYOffset.X + x0, RawXYOffset.Y + y0, local.Width, local.Height);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (HDU {HduIndex}) {BBox}";
}
