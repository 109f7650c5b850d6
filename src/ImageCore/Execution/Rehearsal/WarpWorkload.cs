using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Warp;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// A direct warp's work for one detector: the post-ISR exposure (held in memory) warped with lanczos3 onto the grown grid of
/// the sky-map patch holding the detector's centre (<see cref="DirectWarp.Target"/>), one thread. The warped planes are freed at once.
/// </summary>
internal sealed class WarpWorkload : IContentionWorkload
{
    private readonly Exposure _source;
    private readonly SkyWcs _sourceWcs;
    private readonly WarpConfig _config = new();

    /// <summary>Warps <paramref name="postIsr"/> (owned from then on) onto its patch of <paramref name="skyMap"/>, grown by <paramref name="border"/> pixels.</summary>
    /// <exception cref="ArgumentException">The exposure's footprint misses every patch.</exception>
    public WarpWorkload(Exposure postIsr, RingsSkyMap skyMap, int border)
    {
        ArgumentNullException.ThrowIfNull(postIsr);
        ArgumentNullException.ThrowIfNull(skyMap);
        _source = postIsr;
        _sourceWcs = SkyWcs.FromHeader(postIsr.Metadata);
        var box = postIsr.MaskedImage.BBox;
        var centre = _sourceWcs.PixelToSky(box.MinX + box.Width / 2.0, box.MinY + box.Height / 2.0);
        var tract = skyMap.FindAllTracts(centre.Ra, centre.Dec)[0];
        var patch = tract.FindPatches([centre])[0];
        Target = DirectWarp.Target(tract, patch, border);
        DestBox = Warper.WarpedBBox(box, _sourceWcs, Target.Wcs).Intersect(new Box2I(0, 0, Target.Width, Target.Height));
        if (DestBox.IsEmpty) throw new ArgumentException($"the exposure does not reach {Target.Description}");
        long source = (long)box.Width * box.Height, dest = (long)DestBox.Width * DestBox.Height;
        BytesPerQuantum = source * 12 + dest * 12;
        WorkingSetBytes = source * 12 + dest * 12;
        Description = string.Create(CultureInfo.InvariantCulture, $"lanczos3 warp of {box.Width}x{box.Height} px onto {DestBox.Width}x{DestBox.Height} px of {Target.Description}");
    }

    /// <summary>The patch grid.</summary>
    public WarpTarget Target { get; }

    /// <summary>The part of the grid the exposure reaches (what each quantum computes).</summary>
    public Box2I DestBox { get; }

    /// <inheritdoc/>
    public string Name => "warp";

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public long BytesPerQuantum { get; }

    /// <inheritdoc/>
    public long WorkingSetBytes { get; }

    /// <summary>Warps once and returns the warped masked image (the caller disposes it): the coadd workload's input.</summary>
    public MaskedImage RunAndKeep() => Warper.Warp(_source.MaskedImage, _sourceWcs, Target.Wcs, DestBox, _config, 1).Warped;

    /// <inheritdoc/>
    public void Run() => RunAndKeep().Dispose();

    /// <inheritdoc/>
    public void Dispose() => _source.Dispose();
}
