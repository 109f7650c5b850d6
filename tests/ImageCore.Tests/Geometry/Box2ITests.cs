using ImageCore.Geometry;

namespace ImageCore.Tests.Geometry;

public class Box2ITests
{
    [Fact]
    public void Corners_containment_and_intersection()
    {
        var a = Box2I.FromCorners(0, 0, 9, 4);
        Assert.Equal((10, 5, 50L), (a.Width, a.Height, a.Area));
        Assert.True(a.Contains(new Point2I(9, 4)));
        Assert.False(a.Contains(new Point2I(10, 4)));
        Assert.Equal(Box2I.FromCorners(5, 2, 9, 4), a.Intersect(Box2I.FromCorners(5, 2, 20, 20)));
        Assert.True(a.Intersect(Box2I.FromCorners(10, 0, 12, 4)).IsEmpty);   // touching is not overlapping
        Assert.True(a.Contains(a.Intersect(new Box2I(3, 3, 100, 100))));
        Assert.Equal(new Box2I(2, -1, 10, 5), a.Shift(2, -1));
    }
}
