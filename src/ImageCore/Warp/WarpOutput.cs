namespace ImageCore.Warp;

/// <summary>Where one segment of a destination row goes: <see cref="Count"/> pixels of image, variance and mask.</summary>
internal readonly unsafe struct WarpOutput(float* image, float* variance, int* mask, int count)
{
    public readonly float* Image = image;
    public readonly float* Variance = variance;
    public readonly int* Mask = mask;
    public readonly int Count = count;
}
