namespace ImageCore.Warp;

/// <summary>Which planes the tabulated loop warps: a generic argument, so that each form is compiled on its own.</summary>
internal interface IWarpPlanes
{
    /// <summary>Variance and mask besides the image.</summary>
    static abstract bool VarianceAndMask { get; }
}
