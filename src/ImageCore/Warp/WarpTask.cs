using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>The grid a warp lands on: its size and WCS, in the output file's pixel frame (first pixel (0, 0)).</summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Wcs">The grid's WCS.</param>
/// <param name="Description">Where it came from, for the output header.</param>
public sealed record WarpTarget(int Width, int Height, SkyWcs Wcs, string Description)
{
    /// <summary>The grid of another file's header: NAXIS1/2 and the WCS of its first image HDU (NAXIS 2) with CTYPE1,
    /// so an exposure's IMAGE plane rather than its pixel-less primary.</summary>
    /// <exception cref="KeyNotFoundException">No image HDU has a WCS.</exception>
    /// <exception cref="FitsFormatException">A malformed WCS or size.</exception>
    public static WarpTarget Like(string path)
    {
        using var file = FitsFile.Open(path);
        foreach (var hdu in file.Hdus)
        {
            if (!hdu.Header.Contains("CTYPE1") || hdu.Header.GetInt64("NAXIS", 0) != 2) continue;
            long w = hdu.Header.GetInt64("NAXIS1", 0), h = hdu.Header.GetInt64("NAXIS2", 0);
            if (w <= 0 || h <= 0 || w > int.MaxValue || h > int.MaxValue)
                throw new FitsFormatException(path, hdu.Index, -1, "NAXIS1", $"the HDU with the WCS must give the grid's size (NAXIS1 = {w}, NAXIS2 = {h})");
            return new WarpTarget((int)w, (int)h, SkyWcs.FromHeader(hdu.Header), $"like {Path.GetFileName(path)} HDU {hdu.Index}");
        }
        throw new KeyNotFoundException($"{path}: no 2-D image HDU has a WCS (CTYPE1) to take the output grid from");
    }

    /// <summary>The outer box of a sky-map patch for the data in <paramref name="inputPath"/>: the sky map binned as the
    /// data are (<see cref="SkyMapConfig.ScaleOf"/> of the input's primary header, <see cref="SkyMapConfig.ForScale"/>),
    /// as <c>imagecore run</c> does, so a scaled simulation's patch has the data's pixel size.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such tract or patch.</exception>
    /// <exception cref="FitsFormatException">The input cannot be read, or its scale keyword is malformed.</exception>
    public static WarpTarget PatchFor(string inputPath, SkyMapConfig skyMap, int tract, int patch)
    {
        ArgumentNullException.ThrowIfNull(skyMap);
        int scale;
        using (var file = FitsFile.Open(inputPath)) scale = SkyMapConfig.ScaleOf(file[0].Header);
        return Patch(new RingsSkyMap(skyMap.ForScale(scale)), tract, patch);
    }

    /// <summary>The outer box of a sky-map patch, its first pixel at the file's (0, 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such tract or patch.</exception>
    public static WarpTarget Patch(RingsSkyMap skyMap, int tract, int patch)
    {
        ArgumentNullException.ThrowIfNull(skyMap);
        var t = skyMap[tract];
        if (patch < 0 || patch >= t.PatchesX * t.PatchesY)
            throw new ArgumentOutOfRangeException(nameof(patch), $"tract {tract} has patches 0..{t.PatchesX * t.PatchesY - 1}; there is no patch {patch}");
        var p = t.Patch(patch % t.PatchesX, patch / t.PatchesX);
        var wcs = t.Wcs.WithPixelOrigin(p.Outer.MinX, p.Outer.MinY);
        return new WarpTarget(p.Outer.Width, p.Outer.Height, wcs, $"tract {tract} patch {patch} ({p.X}, {p.Y}) outer box at ({p.Outer.MinX}, {p.Outer.MinY})");
    }
}

/// <summary>
/// <c>imagecore warp</c>: reads an exposure (ImageCore's afw layout, WCS in its metadata) or any single-image
/// FITS file with a celestial WCS (then only the image is warped: variance 0 in, mask NO_DATA where nothing
/// landed), warps it onto a <see cref="WarpTarget"/>, computing only the part of the grid the input's
/// footprint covers (the rest is NO_DATA), and writes an exposure whose metadata carry the target WCS.
/// </summary>
public static class WarpTask
{
    /// <summary>Warps <paramref name="input"/> onto <paramref name="target"/>'s whole grid in memory: the exposure
    /// <see cref="Run"/> would write (the same pixels, metadata, WCS and HISTORY), its first pixel at (0, 0).</summary>
    /// <example><code>
    /// using var warp = WarpTask.Warp(postIsr, WarpTarget.Patch(skyMap, tract, patch), new WarpConfig(), Environment.ProcessorCount);
    /// </code></example>
    /// <exception cref="ArgumentException">The input has no WCS, or the configuration is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands).</exception>
    public static Exposure Warp(Exposure input, WarpTarget target, WarpConfig config, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Warper.Warp(input, target.Wcs, new Box2I(0, 0, target.Width, target.Height), config, target.Description, maxDegreeOfParallelism, cancel);
    }

    /// <summary>Warps <paramref name="inputPath"/> onto <paramref name="target"/> and writes <paramref name="outputPath"/>
    /// (temporary name, then rename). Returns the number of good pixels written.</summary>
    /// <exception cref="FitsFormatException">The input is not an exposure or a 2-D image, or its WCS is malformed.</exception>
    /// <exception cref="UnsupportedWcsException">The input's WCS is of a kind ImageCore does not read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands); nothing is written.</exception>
    public static long Run(string inputPath, string outputPath, WarpTarget target, WarpConfig config, int maxDegreeOfParallelism = 1,
                           CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        using (var input = WarpInput.Read(inputPath))
        {
            var sourceWcs = input.Wcs ?? throw new FitsFormatException(inputPath, 0, -1, "CTYPE1", "the input has no celestial WCS to warp with");
            var (metadata, sourceBox) = (input.Metadata, input.BBox);
            var grid = new Box2I(0, 0, target.Width, target.Height);
            var covered = Warper.WarpedBBox(sourceBox, sourceWcs, target.Wcs).Intersect(grid);
            var header = Warper.WarpMetadata(metadata, target.Wcs, config, target.Description, outputPath);

            // The output is made and written a band of rows at a time (only the band is held): NO_DATA everywhere,
            // then the part of it that the input's footprint covers, warped straight into it.
            int bandRows = Math.Min(target.Height, Warper.BandRows * maxDegreeOfParallelism);
            using var band = new MaskedImage(target.Width, bandRows);
            if (input.MaskPlanes is { } planes)
                foreach (var (name, _) in planes.OrderBy(p => p.Value)) band.Mask.AddPlane(name);
            int noData = band.Mask.GetBitMask("NO_DATA");
            var warp = covered.IsEmpty ? null
                : new Warper.RegionWarp(input.Planes, sourceWcs, target.Wcs, covered, config, input.MaskPlanes is { } p ? Warper.GrowBits(p, config) : 0, noData,
                                       Warper.BadBit(band.Mask));
            var dest = new Warper.WarpDestination(band);
            using var writer = ExposureBandWriter.Create(outputPath, header, grid, band.Mask.Planes);
            long good = 0;
            for (int y0 = 0; y0 < target.Height; y0 += bandRows)
            {
                cancel.ThrowIfCancellationRequested();
                int n = Math.Min(bandRows, target.Height - y0);
                var bandImage = band.Image.Pixels.Slice(0, 0, n, target.Width);
                var bandMask = band.Mask.Image.Pixels.Slice(0, 0, n, target.Width);
                var bandVariance = band.Variance.Pixels.Slice(0, 0, n, target.Width);
                bandImage.Fill(float.NaN);
                bandVariance.Fill(float.PositiveInfinity);
                bandMask.Fill(noData);
                int from = Math.Max(y0, covered.MinY), to = Math.Min(y0 + n, covered.MaxY + 1);
                if (warp is not null && from < to)
                {
                    int bandY0 = y0;
                    good += warp.WarpRows(from - covered.MinY, to - from, maxDegreeOfParallelism,
                                          (r, c0, count) => dest.Segment(covered.MinY + r - bandY0, covered.MinX + c0, count), cancel: cancel);
                }
                input.ThrowIfChanged();   // the band's pixels came from the file as it was: still so
                writer.WriteBand(y0, bandImage, bandMask, bandVariance);
            }
            writer.Commit();
            return good;
        }
    }

}
