using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Memory;

namespace ImageCore.Images;

/// <summary>
/// A pixel plane placed in a parent coordinate system: pixel (0,0) of the plane is at
/// <see cref="Xy0"/>, as in afw. The plane is 64-byte aligned and pooled; sub-images are
/// <see cref="Span2D{T}"/> views of it, never copies.
/// </summary>
/// <typeparam name="T">Pixel type: float for images and variance, int for masks.</typeparam>
public sealed class Image<T> : IDisposable where T : unmanaged
{
    /// <summary>A new image of <paramref name="width"/> x <paramref name="height"/> pixels, zero-filled.</summary>
    public Image(int width, int height, Point2I xy0 = default) : this(new Plane<T>(width, height, clear: true), xy0) { }

    /// <summary>An image of <paramref name="box"/>'s size with its origin at the box corner.</summary>
    public Image(Box2I box) : this(box.Width, box.Height, box.Min) { }

    /// <summary>Wraps a plane (ownership passes to the image).</summary>
    public Image(Plane<T> plane, Point2I xy0 = default)
    {
        Plane = plane ?? throw new ArgumentNullException(nameof(plane));
        Xy0 = xy0;
    }

    /// <summary>The pixels.</summary>
    public Plane<T> Plane { get; }

    /// <summary>Parent coordinates of pixel (0, 0).</summary>
    public Point2I Xy0 { get; set; }

    /// <summary>Columns.</summary>
    public int Width => Plane.Width;

    /// <summary>Rows.</summary>
    public int Height => Plane.Height;

    /// <summary>The image's box in parent coordinates.</summary>
    public Box2I BBox => new(Xy0.X, Xy0.Y, Width, Height);

    /// <summary>A view of all pixels (local coordinates).</summary>
    public Span2D<T> Pixels => Plane.AsSpan2D();

    /// <summary>Pixel at parent coordinates (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public ref T this[int x, int y] => ref Plane[x - Xy0.X, y - Xy0.Y];

    /// <summary>A view of <paramref name="box"/>, given in parent coordinates.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The box is not inside the image.</exception>
    public Span2D<T> View(Box2I box)
    {
        if (!BBox.Contains(box)) throw new ArgumentOutOfRangeException(nameof(box), $"box {box} is not inside image {BBox}");
        return Pixels.Slice(box.MinY - Xy0.Y, box.MinX - Xy0.X, box.Height, box.Width);
    }

    /// <summary>A deep copy (new pooled plane).</summary>
    public Image<T> Clone()
    {
        var copy = new Image<T>(new Plane<T>(Width, Height, clear: false), Xy0);
        Pixels.CopyTo(copy.Pixels);
        return copy;
    }

    /// <summary>Returns the plane to its pool.</summary>
    public void Dispose() => Plane.Dispose();
}
