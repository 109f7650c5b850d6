using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Psf;

namespace ImageCore.Coadd;

/// <summary>
/// <c>imagecore coadd</c>: opens the warps, assembles them (<see cref="Coadder"/>) and writes the coadd as an
/// exposure (temporary name, then rename) whose metadata are the first input's (its WCS included) plus the
/// statistic, and each input with its weight (INPUTnnn / WEIGHTnnn cards). When every input carries a <see cref="CoaddPsf"/>,
/// so does the coadd (<see cref="CombinedPsf"/>). Any failure leaves no output file.
/// </summary>
public static class CoaddTask
{
    /// <summary>Coadds the files at <paramref name="inputPaths"/> into <paramref name="outputPath"/>.</summary>
    /// <exception cref="CoaddInputException">An input could not be opened or read, or does not match the others.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands and
    /// between the output's planes); nothing is written.</exception>
    /// <example><code>
    /// var used = CoaddTask.Run(["warp/09813/045/000000.fits", "warp/09813/045/000001.fits"], "coadd.fits", new CoaddConfig());
    /// </code></example>
    public static CoaddInputs Run(IReadOnlyList<string> inputPaths, string outputPath, CoaddConfig config, int maxDegreeOfParallelism = 1,
                                  CancellationToken cancel = default) =>
        Run(inputPaths, outputPath, config, maxDegreeOfParallelism, InputFile.OpenRead, cancel: cancel);

    /// <summary>As <see cref="Run(IReadOnlyList{string}, string, CoaddConfig, int, CancellationToken)"/>, writing only <paramref name="region"/>
    /// of the inputs' grid (a patch's outer box inside its grown direct warps); the written WCS is moved so that
    /// the region's first pixel is the file's (0, 0).</summary>
    /// <exception cref="ArgumentException">The region is empty or not inside the inputs' grid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands and
    /// between the output's planes); nothing is written.</exception>
    public static CoaddInputs Run(IReadOnlyList<string> inputPaths, string outputPath, CoaddConfig config, int maxDegreeOfParallelism, Box2I region,
                                  CancellationToken cancel = default) =>
        Run(inputPaths, outputPath, config, maxDegreeOfParallelism, InputFile.OpenRead, region, cancel);

    /// <summary>As <see cref="Run(IReadOnlyList{string}, string, CoaddConfig, int, CancellationToken)"/>, each input read through the
    /// stream <paramref name="open"/> gives (tests inject failing streams here).</summary>
    internal static CoaddInputs Run(IReadOnlyList<string> inputPaths, string outputPath, CoaddConfig config, int maxDegreeOfParallelism, Func<string, Stream> open,
                                    Box2I? region = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(inputPaths);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (inputPaths.Count == 0) throw new ArgumentException("a coadd needs at least one input");
        var inputs = new List<CoaddInput>();
        try
        {
            foreach (string path in inputPaths)
            {
                Stream stream;
                try { stream = open(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CoaddInputException(path, e.Message, e); }
                inputs.Add(CoaddInput.Open(stream, path));
            }
            CheckRegion(inputs[0], region);
            var (assembled, used) = Coadder.Assemble(inputs, config, maxDegreeOfParallelism, vectorized: true, cancel);
            var psf = CombinedPsf(inputs, used);
            using (assembled) Write(assembled, Metadata(inputs, used, config, outputPath), psf, region, outputPath, cancel);
            return used;
        }
        finally
        {
            foreach (var input in inputs) input.Dispose();
        }
    }

    /// <summary>The coadd's PSF when every input carries a <see cref="CoaddPsf"/> (direct warps of calexps): the union of
    /// their components, each weighted by its warp's coadd weight (skipped warps, weight 0, left out), in the first input's
    /// frame; the caller moves it with the WCS of a cropped coadd. Null when some input has no CoaddPsf, or none is used.</summary>
    /// <exception cref="CoaddInputException">An input's PSF extension is malformed.</exception>
    internal static CoaddPsf? CombinedPsf(IReadOnlyList<CoaddInput> inputs, CoaddInputs used)
    {
        var parts = new List<(CoaddPsf, double)>(inputs.Count);
        for (int k = 0; k < inputs.Count; k++)
        {
            if (inputs[k].ReadPsf() is not CoaddPsf psf) return null;
            parts.Add((psf, used.Weights[k]));
        }
        if (inputs[0].Wcs is not { } wcs || !parts.Exists(p => p.Item2 > 0)) return null;
        return CoaddPsf.Combine(parts, wcs);
    }

    /// <summary>A coadd's metadata: the first input's (its WCS included) but for the structure and earlier coadd cards,
    /// then the statistic, and each input's name (its file name) and weight (INPUTnnn / WEIGHTnnn).</summary>
    internal static FitsHeader Metadata(IReadOnlyList<CoaddInput> inputs, CoaddInputs used, CoaddConfig config, string source)
    {
        var header = new FitsHeader(source, 0);
        foreach (var card in inputs[0].Metadata)
            if (card.Kind == FitsValueKind.Commentary || !IsStructural(card.Keyword)) header.Add(card);
        header.Set("COADDSTA", config.Statistic.ToString().ToUpperInvariant(), "coadd statistic");
        header.Set("NINPUTS", (long)inputs.Count, "warps given to the coadd");
        for (int k = 0; k < inputs.Count; k++)
        {
            header.Set($"INPUT{k:D3}", Path.GetFileName(inputs[k].Name), "coadd input");
            header.Set($"WEIGHT{k:D3}", used.Weights[k], "its weight (0: skipped)");
        }
        return header;
    }

    /// <exception cref="ArgumentException"><paramref name="region"/> is empty or not inside <paramref name="first"/>'s grid.</exception>
    internal static void CheckRegion(CoaddInput first, Box2I? region)
    {
        var grid = new Box2I(0, 0, first.Width, first.Height);
        if (region is { } r && (r.IsEmpty || !grid.Contains(r)))
            throw new ArgumentException($"the coadd region {r} is not inside the inputs' grid {grid}");
    }

    /// <summary>Writes <paramref name="assembled"/> (not disposed here), or its <paramref name="region"/> with the WCS
    /// moved so that the region's first pixel is the file's (0, 0), as an exposure with <paramref name="header"/>
    /// (temporary name, then rename).</summary>
    internal static void Write(MaskedImage assembled, FitsHeader header, CoaddPsf? psf, Box2I? region, string outputPath, CancellationToken cancel)
    {
        var grid = new Box2I(0, 0, assembled.BBox.Width, assembled.BBox.Height);
        using MaskedImage? cropped = region is { } crop && crop != grid ? Crop(assembled, crop) : null;
        if (region is { } moved && moved.Min != grid.Min && header.Contains("CTYPE1"))
            Astrometry.SkyWcs.FromHeader(header).WithPixelOrigin(moved.MinX, moved.MinY).WriteTo(header);
        if (psf is not null && header.Contains("CTYPE1")) psf = psf.WithCoaddWcs(Astrometry.SkyWcs.FromHeader(header));
        ExposureFits.Write(outputPath, new Exposure(cropped ?? assembled, header) { Psf = psf }, cancel);
    }

    /// <summary>A copy of <paramref name="region"/> of <paramref name="image"/>, its xy0 at (0, 0).</summary>
    private static MaskedImage Crop(MaskedImage image, Box2I region)
    {
        var result = new MaskedImage(region.Width, region.Height);
        result.Mask.ClearPlanes();
        foreach (var (name, bit) in image.Mask.Planes) result.Mask.SetPlane(name, bit);
        image.Image.View(region).CopyTo(result.Image.Pixels);
        image.Mask.Image.View(region).CopyTo(result.Mask.Image.Pixels);
        image.Variance.View(region).CopyTo(result.Variance.Pixels);
        return result;
    }

    private static bool IsStructural(string keyword) =>
        ExposureFits.IsPlaneStructureKeyword(keyword) || keyword is "INHERIT"
        || keyword.StartsWith("INPUT", StringComparison.Ordinal) || keyword.StartsWith("WEIGHT", StringComparison.Ordinal)
        || keyword.StartsWith("PSFIN", StringComparison.Ordinal) || keyword.StartsWith("NART", StringComparison.Ordinal);
}
