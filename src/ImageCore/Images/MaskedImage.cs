using ImageCore.Geometry;

namespace ImageCore.Images;

/// <summary>An image with its mask and variance, all the same size and origin (afw's MaskedImageF).</summary>
public sealed class MaskedImage : IDisposable
{
    /// <summary>Zeroed planes of <paramref name="width"/> x <paramref name="height"/> at <paramref name="xy0"/>.</summary>
    public MaskedImage(int width, int height, Point2I xy0 = default)
        : this(new Image<float>(width, height, xy0), new Mask(width, height, xy0), new Image<float>(width, height, xy0)) { }

    /// <summary>Planes of <paramref name="box"/>'s size at its corner whose pixels are not cleared: for a caller that
    /// writes every pixel it reads.</summary>
    internal static MaskedImage Uncleared(Box2I box) =>
        new(new Image<float>(new Memory.Plane<float>(box.Width, box.Height, clear: false), box.Min),
            new Mask(new Image<int>(new Memory.Plane<int>(box.Width, box.Height, clear: false), box.Min)),
            new Image<float>(new Memory.Plane<float>(box.Width, box.Height, clear: false), box.Min));

    /// <summary>Wraps three planes (ownership passes to this object).</summary>
    /// <exception cref="ArgumentException">Sizes or origins differ.</exception>
    public MaskedImage(Image<float> image, Mask mask, Image<float> variance)
    {
        Image = image ?? throw new ArgumentNullException(nameof(image));
        Mask = mask ?? throw new ArgumentNullException(nameof(mask));
        Variance = variance ?? throw new ArgumentNullException(nameof(variance));
        if (mask.Image.BBox != image.BBox || variance.BBox != image.BBox)
            throw new ArgumentException($"image {image.BBox}, mask {mask.Image.BBox} and variance {variance.BBox} must share one box");
    }

    /// <summary>Pixel values (float32).</summary>
    public Image<float> Image { get; }

    /// <summary>Mask bits (int32).</summary>
    public Mask Mask { get; }

    /// <summary>Variance of each pixel (float32, image units squared).</summary>
    public Image<float> Variance { get; }

    /// <summary>The common box in parent coordinates.</summary>
    public Box2I BBox => Image.BBox;

    /// <summary>Moves all three planes' origin.</summary>
    public Point2I Xy0
    {
        get => Image.Xy0;
        set
        {
            Image.Xy0 = value;
            Mask.Image.Xy0 = value;
            Variance.Xy0 = value;
        }
    }

    /// <summary>A deep copy: new planes with the same pixels, mask planes and origin (the caller disposes it).</summary>
    public MaskedImage Clone() => new(Image.Clone(), Mask.Clone(), Variance.Clone());

    /// <summary>Returns all planes to their pool.</summary>
    public void Dispose()
    {
        Image.Dispose();
        Mask.Dispose();
        Variance.Dispose();
    }
}
