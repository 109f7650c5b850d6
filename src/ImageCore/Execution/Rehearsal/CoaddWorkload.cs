using System.Globalization;
using ImageCore.Coadd;
using ImageCore.Images;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// A coadd of one band: <see cref="Coadder.Assemble(IReadOnlyList{CoaddInput}, CoaddConfig, int, CancellationToken)"/> with MEANCLIP over
/// <c>inputs</c> warps on one grid, held in memory as FITS files (each quantum opens its own readers over the shared bytes),
/// one thread. The inputs are one warp written several times: the statistics' cost does not depend on the values.
/// </summary>
internal sealed class CoaddWorkload : IContentionWorkload
{
    private readonly byte[] _warp;
    private readonly CoaddConfig _config = new();

    /// <summary>A coadd of <paramref name="inputs"/> copies of <paramref name="warp"/> (owned, and disposed here once written to memory through <paramref name="scratchFile"/>),
    /// on the grid of <paramref name="wcs"/> (parent pixels: coadd inputs must say which grid they share).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one input.</exception>
    public CoaddWorkload(MaskedImage warp, Astrometry.SkyWcs wcs, int inputs, string scratchFile)
    {
        ArgumentNullException.ThrowIfNull(warp);
        ArgumentNullException.ThrowIfNull(wcs);
        ArgumentNullException.ThrowIfNull(scratchFile);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        Inputs = inputs;
        var box = warp.BBox;
        var metadata = new Fits.FitsHeader();
        wcs.WriteTo(metadata);
        using (var exposure = new Exposure(warp, metadata)) ExposureFits.Write(scratchFile, exposure);
        _warp = File.ReadAllBytes(scratchFile);
        File.Delete(scratchFile);
        long pixels = (long)box.Width * box.Height;
        BytesPerQuantum = pixels * 12 * (inputs + 1);
        WorkingSetBytes = pixels * 12 + Math.Min(_config.StackMemoryBytes, pixels * 12 * inputs);
        Description = string.Create(CultureInfo.InvariantCulture, $"MEANCLIP coadd of {inputs} warps of {box.Width}x{box.Height} px");
    }

    /// <summary>Warps per coadd.</summary>
    public int Inputs { get; }

    /// <inheritdoc/>
    public string Name => "coadd";

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public long BytesPerQuantum { get; }

    /// <inheritdoc/>
    public long WorkingSetBytes { get; }

    /// <inheritdoc/>
    public void Run()
    {
        var inputs = new List<CoaddInput>(Inputs);
        try
        {
            for (int i = 0; i < Inputs; i++) inputs.Add(CoaddInput.Open(new MemoryStream(_warp, writable: false), $"warp{i}"));
            Coadder.Assemble(inputs, _config, 1).Coadd.Dispose();
        }
        finally
        {
            foreach (var input in inputs) input.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
