using System.Globalization;
using ImageCore.Characterize;
using ImageCore.Images;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// calibrateImage's core for one detector, OR5's memory-heavy step: a copy of the post-ISR exposure (held in memory)
/// through <see cref="CharacterizeTask"/> (background, cosmic rays, detection, PSF model), one thread. The copy is the
/// quantum's own working set, as a real quantum reads its input into fresh planes; it is freed at once.
/// </summary>
internal sealed class CharacterizeWorkload : IContentionWorkload
{
    private readonly Exposure _postIsr;
    private readonly CharacterizeConfig _config;

    /// <summary>Characterizes copies of <paramref name="postIsr"/> (owned from then on), with the default configuration
    /// scaled to the data's <paramref name="scale"/>.</summary>
    public CharacterizeWorkload(Exposure postIsr, int scale)
    {
        ArgumentNullException.ThrowIfNull(postIsr);
        _postIsr = postIsr;
        _config = new CharacterizeConfig().ForScale(scale);
        var box = postIsr.BBox;
        long pixels = (long)box.Width * box.Height;
        // Read the exposure's three planes into the copy, then the passes: background (read, write the image), cosmic
        // rays (read image and variance, write image and mask), two detections (read image, variance and mask; write
        // their smoothed planes and the mask), each plane once.
        BytesPerQuantum = pixels * 12 * 2 + pixels * 8 + pixels * 12 + 2 * pixels * 20;
        WorkingSetBytes = pixels * 12 * 2 + pixels * 8;
        Description = string.Create(CultureInfo.InvariantCulture, $"characterize (background, cosmic rays, detection, PSF) of {box.Width}x{box.Height} px");
    }

    /// <inheritdoc/>
    public string Name => "characterize";

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public long BytesPerQuantum { get; }

    /// <inheritdoc/>
    public long WorkingSetBytes { get; }

    /// <inheritdoc/>
    public void Run()
    {
        using var copy = new Exposure(_postIsr.MaskedImage.Clone(), _postIsr.Metadata.Clone());
        CharacterizeTask.Run(copy, _config, 1);
    }

    /// <inheritdoc/>
    public void Dispose() => _postIsr.Dispose();
}
