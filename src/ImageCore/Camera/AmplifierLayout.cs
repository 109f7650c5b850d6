using ImageCore.Images;

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
                                     Box2I ParallelOverscan, (bool X, bool Y) FlipTopRow, (bool X, bool Y) FlipBottomRow);
