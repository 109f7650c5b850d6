using System.Runtime.Intrinsics;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>The source planes of a warp as raw pointers (rows <see cref="ImageStride"/> etc. apart), its size and
/// xy0, and <see cref="LoadLimit"/>: a vector load of 8 elements starting at column x stays inside every plane's row
/// when x + 8 &lt;= LoadLimit (the smallest stride). An image alone (<see cref="ImageOnly"/>: no variance or mask)
/// warps as an image with zero variance and an empty mask would, without reading them: good pixels get variance 0 and
/// no mask bits.</summary>
internal readonly unsafe struct WarpSource
{
    public readonly float* Image;
    public readonly float* Variance;
    public readonly int* Mask;
    public readonly long ImageStride, VarianceStride, MaskStride;
    public readonly int Width, Height, X0, Y0, LoadLimit;

    public WarpSource(MaskedImage source)
    {
        Image = source.Image.Plane.Pointer;
        Variance = source.Variance.Plane.Pointer;
        Mask = source.Mask.Image.Plane.Pointer;
        ImageStride = source.Image.Plane.Stride;
        VarianceStride = source.Variance.Plane.Stride;
        MaskStride = source.Mask.Image.Plane.Stride;
        (Width, Height, X0, Y0) = (source.BBox.Width, source.BBox.Height, source.BBox.MinX, source.BBox.MinY);
        LoadLimit = (int)Math.Min(ImageStride, Math.Min(VarianceStride, MaskStride));
    }

    public WarpSource(Image<float> image)
    {
        Image = image.Plane.Pointer;
        ImageStride = image.Plane.Stride;
        (Width, Height, X0, Y0) = (image.BBox.Width, image.BBox.Height, image.BBox.MinX, image.BBox.MinY);
        LoadLimit = (int)ImageStride;
    }

    /// <summary>Planes big-endian as a FITS file stores them (a mapped file's data, rows <paramref name="width"/> values
    /// apart, box at <paramref name="xy0"/>): every value is byte-swapped as it is loaded. Without
    /// <paramref name="variance"/> and <paramref name="mask"/> (both null), an image alone.</summary>
    public WarpSource(float* image, float* variance, int* mask, int width, int height, Point2I xy0)
    {
        if ((variance == null) != (mask == null)) throw new ArgumentException("variance and mask come together, or neither");
        Image = image;
        Variance = variance;
        Mask = mask;
        ImageStride = width;
        VarianceStride = MaskStride = variance == null ? 0 : width;
        (Width, Height, X0, Y0) = (width, height, xy0.X, xy0.Y);
        LoadLimit = width;
        BigEndian = true;
    }

    /// <summary>No variance or mask plane: only the image is read.</summary>
    public bool ImageOnly => Variance == null;

    /// <summary>The planes' values are big-endian (see the constructor for mapped files).</summary>
    public readonly bool BigEndian;

    /// <summary>For each row y, how many rows before it hold a mask bit of <see cref="WarpKernels.GrowBits"/> (Height + 1
    /// entries), or null when not known. A footprint over rows with none needs no OR of the mask under it, where a
    /// mask kernel gives the narrow mask: <see cref="WithGrowRows"/>.</summary>
    public readonly int* GrowRowsBefore;

    private WarpSource(in WarpSource planes, int* growRowsBefore)
    {
        this = planes;
        GrowRowsBefore = growRowsBefore;
    }

    /// <summary>These planes with <see cref="GrowRowsBefore"/> (pinned, alive as long as the planes are used).</summary>
    public WarpSource WithGrowRows(int* growRowsBefore) => new(this, growRowsBefore);

    /// <summary>Fills <paramref name="rowsBefore"/> (Height + 1 entries) for <see cref="GrowRowsBefore"/>: a scan of the
    /// mask for <paramref name="growBits"/> (as stored: swapped for big-endian planes).</summary>
    public void CountGrowRows(int growBits, Span<int> rowsBefore)
    {
        int bits = BigEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(growBits) : growBits;
        rowsBefore[0] = 0;
        for (int y = 0; y < Height; y++)
        {
            var row = new ReadOnlySpan<int>(Mask + y * MaskStride, Width);
            int x = 0, any = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var acc = Vector256<int>.Zero;
                for (; x + 8 <= row.Length; x += 8) acc |= Vector256.Create(row.Slice(x, 8));
                any = Vector256.EqualsAll(acc & Vector256.Create(bits), Vector256<int>.Zero) ? 0 : 1;
            }
            for (; x < row.Length && any == 0; x++) if ((row[x] & bits) != 0) any = 1;
            rowsBefore[y + 1] = rowsBefore[y] + any;
        }
    }
}
