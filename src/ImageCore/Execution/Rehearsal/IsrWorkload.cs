using System.Globalization;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Isr;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// ISR of one full detector, as a pipeline quantum runs it (<see cref="IsrTask"/>, default configuration, one thread): the
/// raw is read from its file (kept in the page cache), the calibrations come from an unbounded <see cref="CalibrationCache"/>
/// filled once, so every quantum reads them from memory. The post-ISR exposure is freed at once.
/// </summary>
internal sealed class IsrWorkload : IContentionWorkload
{
    private readonly CalibrationCache _cache;
    private readonly CameraModel _camera;
    private readonly IsrConfig _config = new();

    /// <summary>ISR of <paramref name="rawPath"/> with calibrations from <paramref name="calibRoot"/>; runs once to fill the cache.</summary>
    public IsrWorkload(string rawPath, string calibRoot, CameraModel camera)
    {
        ArgumentNullException.ThrowIfNull(rawPath);
        ArgumentNullException.ThrowIfNull(calibRoot);
        (RawPath, _camera) = (rawPath, camera ?? throw new ArgumentNullException(nameof(camera)));
        _cache = CalibrationCache.Create(new CachePolicy { Mode = CacheMode.Unbounded }, new CalibrationDirectory(calibRoot));
        using var raw = FitsFile.Open(rawPath);
        var detector = IsrTask.FindDetector(raw, camera);
        long rawPixels = (long)detector.RawBBox.Width * detector.RawBBox.Height, pixels = (long)detector.BBox.Width * detector.BBox.Height;
        // read: the raw's int32 pixels, the untrimmed float image and mask (written, then read by the passes), the bias,
        // dark and flat (image, mask, variance); written: the output's image, mask and variance.
        BytesPerQuantum = rawPixels * 4 + rawPixels * 8 * 2 + pixels * 12 * 3 + pixels * 12;
        WorkingSetBytes = rawPixels * 8 + pixels * 12;
        Description = string.Create(CultureInfo.InvariantCulture, $"ISR of {detector.Name} ({detector.BBox.Width}x{detector.BBox.Height} px), calibrations in memory");
        Run();
    }

    /// <summary>The raw file.</summary>
    public string RawPath { get; }

    /// <inheritdoc/>
    public string Name => "isr";

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public long BytesPerQuantum { get; }

    /// <inheritdoc/>
    public long WorkingSetBytes { get; }

    /// <summary>Runs ISR once and returns the post-ISR exposure (the caller disposes it): the warp workload's input.</summary>
    public Exposure RunAndKeep()
    {
        using var raw = FitsFile.Open(RawPath);
        return IsrTask.Run(raw, _camera, _cache, _config, 1);
    }

    /// <inheritdoc/>
    public void Run() => RunAndKeep().Dispose();

    /// <inheritdoc/>
    public void Dispose() => _cache.Dispose();
}
