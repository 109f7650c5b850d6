namespace ImageCore.Geometry;

/// <summary>An integer pixel position (x is the column, y the row), as afw's Point2I.</summary>
/// <param name="X">Column.</param>
/// <param name="Y">Row.</param>
public readonly record struct Point2I(int X, int Y)
{
    /// <inheritdoc/>
    public override string ToString() => $"({X}, {Y})";
}

/// <summary>An integer box of pixels: <see cref="MinX"/>..<see cref="MaxX"/> inclusive, as afw's Box2I.</summary>
/// <param name="MinX">First column.</param>
/// <param name="MinY">First row.</param>
/// <param name="Width">Columns (0 for an empty box).</param>
/// <param name="Height">Rows (0 for an empty box).</param>
public readonly record struct Box2I(int MinX, int MinY, int Width, int Height)
{
    /// <summary>Last column (inclusive).</summary>
    public int MaxX => MinX + Width - 1;

    /// <summary>Last row (inclusive).</summary>
    public int MaxY => MinY + Height - 1;

    /// <summary>The first corner.</summary>
    public Point2I Min => new(MinX, MinY);

    /// <summary>True when the box has no pixels.</summary>
    public bool IsEmpty => Width <= 0 || Height <= 0;

    /// <summary>Number of pixels.</summary>
    public long Area => IsEmpty ? 0 : (long)Width * Height;

    /// <summary>A box from inclusive corners.</summary>
    public static Box2I FromCorners(int minX, int minY, int maxX, int maxY) => new(minX, minY, maxX - minX + 1, maxY - minY + 1);

    /// <summary>The box grown by <paramref name="pixels"/> on every side (shrunk when negative).</summary>
    public Box2I Grow(int pixels) => new(MinX - pixels, MinY - pixels, Width + 2 * pixels, Height + 2 * pixels);

    /// <summary>True if <paramref name="p"/> lies inside.</summary>
    public bool Contains(Point2I p) => p.X >= MinX && p.X <= MaxX && p.Y >= MinY && p.Y <= MaxY;

    /// <summary>True if every pixel of <paramref name="other"/> lies inside (an empty box is contained).</summary>
    public bool Contains(Box2I other) => other.IsEmpty || (other.MinX >= MinX && other.MaxX <= MaxX && other.MinY >= MinY && other.MaxY <= MaxY);

    /// <summary>The overlap of two boxes (possibly empty).</summary>
    public Box2I Intersect(Box2I other)
    {
        int x0 = Math.Max(MinX, other.MinX), y0 = Math.Max(MinY, other.MinY);
        int x1 = Math.Min(MaxX, other.MaxX), y1 = Math.Min(MaxY, other.MaxY);
        return x1 < x0 || y1 < y0 ? new Box2I(x0, y0, 0, 0) : FromCorners(x0, y0, x1, y1);
    }

    /// <summary>The box moved by (<paramref name="dx"/>, <paramref name="dy"/>).</summary>
    public Box2I Shift(int dx, int dy) => this with { MinX = MinX + dx, MinY = MinY + dy };

    /// <inheritdoc/>
    public override string ToString() => $"[{MinX}..{MaxX}, {MinY}..{MaxY}] ({Width}x{Height})";
}
