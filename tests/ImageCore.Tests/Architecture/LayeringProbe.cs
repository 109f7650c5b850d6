// Types that break the layering on purpose, each in one way, for LayeringTests to find (the library scan never sees them).
#pragma warning disable CA1812, IDE0051, IDE0052, IDE0130

namespace ImageCore.Tests.LayeringProbe.Fits
{
    /// <summary>Reaches up through a method signature.</summary>
    internal static class UsesImagesInASignature
    {
        public static int Width(ImageCore.Images.Mask mask) => mask.Image.Width;
    }
}

namespace ImageCore.Tests.LayeringProbe.Memory
{
    /// <summary>Reaches up only inside a method body (a lambda, compiled into a nested type).</summary>
    internal static class UsesWarpInABody
    {
        public static Func<string> Kernel = () => new ImageCore.Warp.WarpConfig().Kernel;
    }
}

namespace ImageCore.Tests.LayeringProbe.Geometry
{
    /// <summary>Reaches up through a generic argument of a local's type in a body.</summary>
    internal static class UsesCoaddInAGenericArgument
    {
        public static int Count()
        {
            var list = new List<ImageCore.Coadd.CoaddStatistic> { ImageCore.Coadd.CoaddStatistic.Median };
            return list.Count;
        }
    }
}

namespace ImageCore.Tests.LayeringProbe.Coadd
{
    /// <summary>Uses lower layers only: no back edge.</summary>
    internal static class UsesLowerLayers
    {
        public static int Area(ImageCore.Geometry.Box2I box) => box.Width * box.Height;
    }
}
