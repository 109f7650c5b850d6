namespace ImageCore.Warp;

/// <summary>The image alone (<see cref="WarpSource.ImageOnly"/>): variance 0 and no mask bits on good pixels, the bits
/// the same warp of zero variance and mask planes gives, without reading them.</summary>
internal readonly struct ImageAlone : IWarpPlanes
{
    public static bool VarianceAndMask => false;
}
