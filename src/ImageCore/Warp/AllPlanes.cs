namespace ImageCore.Warp;

/// <summary>Image, variance and mask.</summary>
internal readonly struct AllPlanes : IWarpPlanes
{
    public static bool VarianceAndMask => true;
}
