using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Warp;

/// <summary>How to warp (afw's WarperConfig, with Rubin's defaults).</summary>
public sealed record WarpConfig
{
    /// <summary>Image and variance kernel: lanczosN, bilinear or nearest.</summary>
    public string Kernel { get; init; } = "lanczos3";

    /// <summary>Mask kernel (every bit but <see cref="GrowFullMask"/> spreads only over its footprint); empty for none.</summary>
    public string MaskKernel { get; init; } = "bilinear";

    /// <summary>The transform is exact every this many destination pixels and bilinear in between (1: exact everywhere).</summary>
    public int InterpLength { get; init; } = 10;

    /// <summary>Lanczos taps come from a table of this many bins over the fractional position, linearly
    /// interpolated (<see cref="WarpingKernel.TapsTabulated"/>); 0 evaluates them exactly for every pixel, as
    /// Rubin's makeDirectWarp does (cacheSize 0), at several times the cost.</summary>
    public int KernelTableBins { get; init; } = 4096;

    /// <summary>Mask planes spread over the image kernel's full footprint.</summary>
    public IReadOnlyList<string> GrowFullMask { get; init; } = ["EDGE"];

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for invalid settings.</summary>
    public void Validate()
    {
        var k = WarpingKernel.Parse(Kernel);
        if (MaskKernel.Length > 0 && WarpingKernel.Parse(MaskKernel).Size > k.Size)
            throw new ArgumentException($"WarpConfig.MaskKernel {MaskKernel} is wider than the image kernel {Kernel}");
        if (InterpLength < 1) throw new ArgumentException($"WarpConfig.InterpLength must be >= 1 (is {InterpLength})");
        if (KernelTableBins is < 0 or > 1 << 20) throw new ArgumentException($"WarpConfig.KernelTableBins must be 0..1048576 (is {KernelTableBins})");
    }
}

/// <summary>
/// Warps a masked image from one WCS to another, as afw's warpImage does for Rubin's makeDirectWarp: each
/// destination pixel centre goes to sky and into the source; the separable kernel's taps at the source
/// position's fraction are renormalised to sum 1 and scaled by the relative pixel area (|dA x dB| of the source
/// positions of the left and lower neighbours); variance takes the squared taps; the mask ORs the bits under
/// the mask kernel, plus <see cref="WarpConfig.GrowFullMask"/> bits under the whole image kernel. A destination
/// pixel whose kernel footprint is not wholly inside the source is NaN, NO_DATA, variance +inf.
/// Pixel coordinates are parent coordinates (the images' xy0 included), 0-based, centres at integers.
/// </summary>
public static class Warper
{
    /// <summary>Warps <paramref name="source"/> onto <paramref name="destBox"/> of the grid of <paramref name="destWcs"/>
    /// (afw's warpExposure): the result is an exposure whose box is <paramref name="destBox"/> (xy0 its minimum), whose
    /// <see cref="Exposure.Wcs"/> is <paramref name="destWcs"/>, and whose metadata are the source's (its WCS cards
    /// replaced) with HISTORY cards saying how it was warped. Only the part of the box that the source's footprint
    /// covers is computed; every other pixel is NaN, NO_DATA, variance +inf.</summary>
    /// <param name="source">The exposure to warp; it must have a WCS.</param>
    /// <param name="destWcs">The destination grid's WCS (parent pixel coordinates).</param>
    /// <param name="destBox">The destination pixels to make.</param>
    /// <param name="config">Kernels and interpolation length.</param>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    /// <param name="cancel">Checked between row bands.</param>
    /// <example><code>
    /// var target = WarpTarget.Patch(skyMap, tract: 9813, patch: 40);
    /// using var warp = Warper.Warp(postIsr, target.Wcs, new Box2I(0, 0, target.Width, target.Height), new WarpConfig());
    /// long noData = warp.Mask.Count("NO_DATA");
    /// </code></example>
    /// <exception cref="ArgumentException"><paramref name="source"/> has no WCS, the box is empty, or the configuration is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Exposure Warp(Exposure source, SkyWcs destWcs, Box2I destBox, WarpConfig config, int maxDegreeOfParallelism = 1,
                                CancellationToken cancel = default) =>
        Warp(source, destWcs, destBox, config, $"box {destBox}", maxDegreeOfParallelism, cancel);

    /// <summary><see cref="Warp(Exposure, SkyWcs, Box2I, WarpConfig, int, CancellationToken)"/>, the HISTORY naming the
    /// destination as <paramref name="description"/>.</summary>
    internal static Exposure Warp(Exposure source, SkyWcs destWcs, Box2I destBox, WarpConfig config, string description, int maxDegreeOfParallelism,
                                  CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destWcs);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        if (destBox.IsEmpty) throw new ArgumentException("the destination box is empty", nameof(destBox));
        var sourceWcs = source.Wcs ?? throw new ArgumentException($"{source.Metadata.Source}: the exposure has no WCS to warp with", nameof(source));
        cancel.ThrowIfCancellationRequested();
        var result = NoDataImage(destBox, source.Mask.Planes);
        try
        {
            var covered = WarpedBBox(source.BBox, sourceWcs, destWcs).Intersect(destBox);
            if (!covered.IsEmpty)
                WarpInto(new WarpSource(source.MaskedImage), source.Mask.Planes, sourceWcs, destWcs, result, covered, config, maxDegreeOfParallelism, cancel: cancel);
            return new Exposure(result, WarpMetadata(source.Metadata, destWcs, config, description), destWcs);
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>A warp's output before anything lands on it: <paramref name="box"/> all NaN, variance +inf and NO_DATA,
    /// with the source's mask planes (in bit order) added to the defaults.</summary>
    internal static MaskedImage NoDataImage(Box2I box, IReadOnlyDictionary<string, int> sourceMaskPlanes)
    {
        var image = new MaskedImage(box.Width, box.Height, box.Min);
        try
        {
            foreach (var (name, _) in sourceMaskPlanes.OrderBy(p => p.Value)) image.Mask.AddPlane(name);
        }
        catch
        {
            image.Dispose();
            throw;
        }
        image.Image.Pixels.Fill(float.NaN);
        image.Variance.Pixels.Fill(float.PositiveInfinity);
        image.Mask.Image.Pixels.Fill(image.Mask.GetBitMask("NO_DATA"));
        return image;
    }

    /// <summary>The metadata of a warp: the source's cards but its structure and WCS, then the destination WCS and
    /// HISTORY cards naming the kernels and the destination.</summary>
    internal static FitsHeader WarpMetadata(FitsHeader sourceMetadata, SkyWcs destWcs, WarpConfig config, string description, string source = "<memory>")
    {
        var header = new FitsHeader(source, 0);
        foreach (var card in sourceMetadata)
            if (card.Kind == FitsValueKind.Commentary || !IsWcsOrStructural(card.Keyword)) header.Add(card);
        destWcs.WriteTo(header);
        header.AddCommentary("HISTORY", $"ImageCore warp: kernel {config.Kernel}, mask kernel {(config.MaskKernel.Length > 0 ? config.MaskKernel : "none")}");
        header.AddCommentary("HISTORY", $"ImageCore warp: interpLength {config.InterpLength}");
        foreach (var chunk in description.Chunk(50)) header.AddCommentary("HISTORY", "ImageCore warp onto: " + new string(chunk));
        return header;
    }

    private static bool IsWcsOrStructural(string keyword) =>
        ExposureFits.IsPlaneStructureKeyword(keyword) || ExposureFits.IsCelestialWcsKeyword(keyword);

    /// <summary>Warps <paramref name="source"/> onto <paramref name="destBox"/> of <paramref name="destWcs"/>.</summary>
    /// <param name="source">The image, mask and variance to warp.</param>
    /// <param name="sourceWcs">The source's WCS (parent pixel coordinates).</param>
    /// <param name="destWcs">The destination grid's WCS.</param>
    /// <param name="destBox">The destination pixels to compute (see <see cref="WarpedBBox"/>); the result's xy0 is its minimum.</param>
    /// <param name="config">Kernels and interpolation length.</param>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    /// <param name="cancel">Checked between row bands.</param>
    /// <returns>The warped masked image and its number of good (not NO_DATA) pixels.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static (MaskedImage Warped, long GoodPixels) Warp(MaskedImage source, SkyWcs sourceWcs, SkyWcs destWcs, Box2I destBox, WarpConfig config,
                                                             int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Warp(new WarpSource(source), source.Mask.Planes, sourceWcs, destWcs, destBox, config, maxDegreeOfParallelism, cancel);
    }

    /// <summary><see cref="Warp(MaskedImage, SkyWcs, SkyWcs, Box2I, WarpConfig, int, CancellationToken)"/> from planes given as pointers (in
    /// memory or mapped from a file: <see cref="WarpInput"/>) with these mask planes.</summary>
    internal static (MaskedImage Warped, long GoodPixels) Warp(in WarpSource planes, IReadOnlyDictionary<string, int> maskPlanes, SkyWcs sourceWcs, SkyWcs destWcs,
                                                               Box2I destBox, WarpConfig config, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(sourceWcs);
        ArgumentNullException.ThrowIfNull(destWcs);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (destBox.IsEmpty) throw new ArgumentException("the destination box is empty", nameof(destBox));
        var result = new MaskedImage(destBox.Width, destBox.Height, destBox.Min);
        try
        {
            foreach (var (name, bit) in maskPlanes.OrderBy(p => p.Value))
                if (result.Mask.AddPlane(name) != bit)
                    throw new ArgumentException($"the source's mask plane {name} is bit {bit}, which the warped mask cannot give it");
            return (result, WarpInto(planes, maskPlanes, sourceWcs, destWcs, result, destBox, config, maxDegreeOfParallelism, cancel: cancel));
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>As <see cref="Warp(MaskedImage, SkyWcs, SkyWcs, Box2I, WarpConfig, int, CancellationToken)"/>, into <paramref name="region"/> of an existing <paramref name="dest"/> (whose mask
    /// planes must give the source's planes the same bits); pixels of <paramref name="dest"/> outside the region are
    /// left as they are. Returns the number of good pixels written.</summary>
    /// <exception cref="ArgumentException">The region is empty or not inside <paramref name="dest"/>, or the mask planes differ.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands).</exception>
    public static long WarpInto(MaskedImage source, SkyWcs sourceWcs, SkyWcs destWcs, MaskedImage dest, Box2I region, WarpConfig config,
                                int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return WarpInto(new WarpSource(source), source.Mask.Planes, sourceWcs, destWcs, dest, region, config, maxDegreeOfParallelism, vectorized: true, cancel);
    }

    /// <summary><see cref="WarpInto(MaskedImage, SkyWcs, SkyWcs, MaskedImage, Box2I, WarpConfig, int, CancellationToken)"/> through the vectorised
    /// inner loop, or through its scalar reference (benchmarks compare the two).</summary>
    internal static long WarpInto(MaskedImage source, SkyWcs sourceWcs, SkyWcs destWcs, MaskedImage dest, Box2I region, WarpConfig config,
                                  int maxDegreeOfParallelism, bool vectorized)
    {
        ArgumentNullException.ThrowIfNull(source);
        return WarpInto(new WarpSource(source), source.Mask.Planes, sourceWcs, destWcs, dest, region, config, maxDegreeOfParallelism, vectorized);
    }

    /// <summary><see cref="WarpInto(MaskedImage, SkyWcs, SkyWcs, MaskedImage, Box2I, WarpConfig, int, CancellationToken)"/> from planes given as
    /// pointers (in memory or mapped from a file: <see cref="WarpInput"/>) with these mask planes.</summary>
    internal static long WarpInto(in WarpSource planes, IReadOnlyDictionary<string, int> maskPlanes, SkyWcs sourceWcs, SkyWcs destWcs, MaskedImage dest,
                                  Box2I region, WarpConfig config, int maxDegreeOfParallelism, bool vectorized = true, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(dest);
        foreach (var (name, bit) in maskPlanes)
            if (!dest.Mask.Planes.TryGetValue(name, out int b) || b != bit)
                throw new ArgumentException($"the destination mask has no plane {name} at bit {bit}", nameof(dest));
        ArgumentNullException.ThrowIfNull(config);
        return WarpPlanes(planes, sourceWcs, destWcs, dest, region, config, GrowBits(maskPlanes, config), maxDegreeOfParallelism, vectorized, cancel);
    }

    /// <summary>As <see cref="WarpInto(MaskedImage, SkyWcs, SkyWcs, MaskedImage, Box2I, WarpConfig, int, CancellationToken)"/> for an image
    /// without mask or variance (a plain FITS image): only the image is warped; good pixels get variance 0 and no mask
    /// bits (as warping zero variance and an empty mask would give), the others NaN, +inf and NO_DATA.</summary>
    /// <exception cref="ArgumentException">The region is empty or not inside <paramref name="dest"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between row bands).</exception>
    public static long WarpImageInto(Image<float> source, SkyWcs sourceWcs, SkyWcs destWcs, MaskedImage dest, Box2I region, WarpConfig config,
                                     int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return WarpPlanes(new WarpSource(source), sourceWcs, destWcs, dest, region, config, growBits: 0, maxDegreeOfParallelism, vectorized: true, cancel);
    }

    /// <summary><see cref="WarpImageInto(Image{float}, SkyWcs, SkyWcs, MaskedImage, Box2I, WarpConfig, int, CancellationToken)"/>, vectorised or
    /// through the scalar reference.</summary>
    internal static long WarpImageInto(Image<float> source, SkyWcs sourceWcs, SkyWcs destWcs, MaskedImage dest, Box2I region, WarpConfig config,
                                       int maxDegreeOfParallelism, bool vectorized)
    {
        ArgumentNullException.ThrowIfNull(source);
        return WarpPlanes(new WarpSource(source), sourceWcs, destWcs, dest, region, config, growBits: 0, maxDegreeOfParallelism, vectorized);
    }

    private static long WarpPlanes(WarpSource planes, SkyWcs sourceWcs, SkyWcs destWcs, MaskedImage dest, Box2I region, WarpConfig config, int growBits,
                                   int maxDegreeOfParallelism, bool vectorized, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(sourceWcs);
        ArgumentNullException.ThrowIfNull(destWcs);
        ArgumentNullException.ThrowIfNull(dest);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (region.IsEmpty || !dest.BBox.Contains(region)) throw new ArgumentException($"the region {region} is empty or not inside the destination {dest.BBox}", nameof(region));
        var warp = new RegionWarp(planes, sourceWcs, destWcs, region, config, growBits, dest.Mask.GetBitMask("NO_DATA"), BadBit(dest.Mask));
        var destPlanes = new WarpDestination(dest);
        int rowOffset = region.MinY - dest.BBox.MinY, colOffset = region.MinX - dest.BBox.MinX;
        return warp.WarpRows(0, region.Height, maxDegreeOfParallelism, (int r, int c0, int count) => destPlanes.Segment(rowOffset + r, colOffset + c0, count), vectorized, cancel);
    }

    /// <summary>The BAD plane's bit of a destination mask, for <see cref="UnusablePixels"/>: added when the mask lacks it,
    /// and NO_DATA's when no bit is free for it.</summary>
    internal static int BadBit(Mask mask)
    {
        if (mask.Planes.TryGetValue("BAD", out int bit)) return 1 << bit;
        if (mask.Planes.Count < 31) return 1 << mask.AddPlane("BAD");
        return mask.GetBitMask("NO_DATA");
    }

    /// <summary>The bits of the source's mask planes named in <see cref="WarpConfig.GrowFullMask"/> (grown over the
    /// whole kernel footprint).</summary>
    internal static int GrowBits(IReadOnlyDictionary<string, int> sourceMaskPlanes, WarpConfig config) =>
        Mask.DefinedBits(sourceMaskPlanes, config.GrowFullMask);

    /// <summary>
    /// A warp of one source onto one destination region, prepared once (the transform's interpolation grid over the
    /// whole region, the kernels) and computed a range of the region's rows at a time: every row comes out the same
    /// whichever range it is computed in, so an output can be made and written band by band (<see cref="WarpTask"/>).
    /// </summary>
    internal sealed class RegionWarp
    {
        private readonly SourceGrid _grid;
        private readonly WarpKernels _kernels;
        private readonly WarpSource _planes;
        private readonly int[]? _growRows;   // pinned: WarpSource.GrowRowsBefore points into it
        private readonly int _noData, _bad;

        /// <summary>Prepares the warp of <paramref name="planes"/> onto <paramref name="region"/> of the destination grid;
        /// <paramref name="bad"/> marks output pixels whose values are not usable (<see cref="UnusablePixels"/>).</summary>
        public RegionWarp(WarpSource planes, SkyWcs sourceWcs, SkyWcs destWcs, Box2I region, WarpConfig config, int growBits, int noData, int bad)
        {
            (_noData, _bad) = (noData, bad);
            ArgumentNullException.ThrowIfNull(sourceWcs);
            ArgumentNullException.ThrowIfNull(destWcs);
            ArgumentNullException.ThrowIfNull(config);
            config.Validate();
            if (region.IsEmpty) throw new ArgumentException("the region to warp is empty", nameof(region));
            var maskKernel = config.MaskKernel.Length > 0 ? WarpingKernel.Parse(config.MaskKernel) : null;
            _grid = new SourceGrid(sourceWcs, destWcs, region, config.InterpLength);
            _kernels = new WarpKernels(WarpingKernel.Parse(config.Kernel), config.KernelTableBins, maskKernel, growBits, noData);
            _planes = planes;
            if (growBits != 0 && maskKernel is not null && !planes.ImageOnly)
            {
                // Which source rows hold a grow bit (EDGE): the loop skips the whole-footprint OR over rows that hold none.
                _growRows = GC.AllocateUninitializedArray<int>(planes.Height + 1, pinned: true);
                planes.CountGrowRows(growBits, _growRows);
                unsafe { _planes = planes.WithGrowRows((int*)Unsafe.AsPointer(ref _growRows[0])); }
            }
            Region = region;
        }

        /// <summary>The destination region (its rows and columns are counted from its minimum below).</summary>
        public Box2I Region { get; }

        /// <summary>Computes rows <paramref name="firstRow"/>..+<paramref name="rowCount"/> of the region;
        /// <paramref name="segment"/> says where region row r's pixels c0..c0+count-1 go. Returns the good pixels.</summary>
        public long WarpRows(int firstRow, int rowCount, int maxDegreeOfParallelism, Func<int, int, int, WarpOutput> segment, bool vectorized = true,
                             CancellationToken cancel = default)
        {
            if (firstRow < 0 || rowCount < 0 || firstRow + rowCount > Region.Height)
                throw new ArgumentOutOfRangeException(nameof(firstRow), $"rows {firstRow}..{firstRow + rowCount - 1} are outside the region's 0..{Region.Height - 1}");
            return WarpBands(_grid, _kernels, _planes, Region.Width, firstRow, rowCount, maxDegreeOfParallelism, segment, vectorized, _noData, _bad, cancel);
        }
    }

    /// <summary>Destination rows are computed in bands of this many rows, each band in tiles of
    /// <see cref="TileColumns"/> columns: a tile's source footprint (about TileColumns x (BandRows + kernel) pixels,
    /// whatever the rotation between the grids) stays in cache while its rows are computed.</summary>
    internal const int BandRows = 16;

    /// <summary>Columns per tile (see <see cref="BandRows"/>).</summary>
    internal const int TileColumns = 128;

    /// <summary>Computes every pixel of rows <paramref name="firstRow"/>..+<paramref name="rowCount"/> of a region
    /// <paramref name="width"/> wide, in bands of <see cref="BandRows"/> rows across threads; <paramref name="segment"/>
    /// says where row r's pixels c0..c0+count-1 go. Returns the number of good pixels.</summary>
    internal static unsafe long WarpBands(SourceGrid grid, WarpKernels kernels, WarpSource planes, int width, int firstRow, int rowCount,
                                          int maxDegreeOfParallelism, Func<int, int, int, WarpOutput> segment, bool vectorized = true, int noData = 0, int bad = 0,
                                          CancellationToken cancel = default)
    {
        if (kernels.TableBins > 0)
        {
            // Build the tap table before the threads start.
            float* warm = stackalloc float[kernels.Kernel.TapStride];
            kernels.Kernel.NormalizedTaps(0, warm, kernels.TableBins);
        }
        long good = 0;
        int bands = (rowCount + BandRows - 1) / BandRows, end = firstRow + rowCount;
        Parallel.For(0, bands, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel }, () => 0L, (band, _, count) =>
        {
            // Source positions of one tile's row and the row below it: on the stack, nothing allocated per band.
            double* x0 = stackalloc double[TileColumns + 1], y0 = stackalloc double[TileColumns + 1];
            double* x1 = stackalloc double[TileColumns + 1], y1 = stackalloc double[TileColumns + 1];
            int first = firstRow + band * BandRows, last = Math.Min(end, first + BandRows) - 1;
            for (int c0 = 0; c0 < width; c0 += TileColumns)
            {
                int n = Math.Min(TileColumns, width - c0);
                double* bx = x0, by = y0, tx = x1, ty = y1;
                grid.RowSegment(first - 1, c0, n, bx, by);
                for (int r = first; r <= last; r++)
                {
                    grid.RowSegment(r, c0, n, tx, ty);
                    var output = segment(r, c0, n);
                    count += vectorized ? WarpPixels.RowVector(planes, kernels, tx, ty, bx, by, output)
                                        : WarpPixels.RowScalar(planes, kernels, tx, ty, bx, by, output);
                    if (bad != 0 && output.Variance != null)
                        UnusablePixels.Mark(new ReadOnlySpan<float>(output.Image, output.Count), new ReadOnlySpan<float>(output.Variance, output.Count),
                                            new Span<int>(output.Mask, output.Count), noData, bad, vectorized);
                    double* swap = bx;
                    bx = tx;
                    tx = swap;
                    swap = by;
                    by = ty;
                    ty = swap;
                }
            }
            return count;
        }, count => Interlocked.Add(ref good, count));
        return good;
    }

    /// <summary>Pointers into a destination masked image.</summary>
    internal readonly unsafe struct WarpDestination(MaskedImage dest)
    {
        private readonly float* _image = dest.Image.Plane.Pointer, _variance = dest.Variance.Plane.Pointer;
        private readonly int* _mask = dest.Mask.Image.Plane.Pointer;
        private readonly long _imageStride = dest.Image.Plane.Stride, _varianceStride = dest.Variance.Plane.Stride, _maskStride = dest.Mask.Image.Plane.Stride;

        public WarpOutput Segment(int row, int col, int count) =>
            new(_image + row * _imageStride + col, _variance + row * _varianceStride + col, _mask + row * _maskStride + col, count);
    }

    /// <summary>The destination box that <paramref name="sourceBox"/> lands on: its outline (every 64 pixels and
    /// the corners) through the two WCSs, rounded outwards.</summary>
    public static Box2I WarpedBBox(Box2I sourceBox, SkyWcs sourceWcs, SkyWcs destWcs)
    {
        ArgumentNullException.ThrowIfNull(sourceWcs);
        ArgumentNullException.ThrowIfNull(destWcs);
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        void Include(double x, double y)
        {
            var (ra, dec) = sourceWcs.PixelToSky(x, y);
            var (dx, dy) = destWcs.SkyToPixel(ra, dec);
            if (!double.IsFinite(dx) || !double.IsFinite(dy)) return;
            (minX, minY, maxX, maxY) = (Math.Min(minX, dx), Math.Min(minY, dy), Math.Max(maxX, dx), Math.Max(maxY, dy));
        }
        double x0 = sourceBox.MinX - 0.5, x1 = sourceBox.MaxX + 0.5, y0 = sourceBox.MinY - 0.5, y1 = sourceBox.MaxY + 0.5;
        int nx = Math.Max(1, sourceBox.Width / 64), ny = Math.Max(1, sourceBox.Height / 64);
        for (int i = 0; i <= nx; i++)
        {
            double x = x0 + (x1 - x0) * i / nx;
            Include(x, y0);
            Include(x, y1);
        }
        for (int j = 0; j <= ny; j++)
        {
            double y = y0 + (y1 - y0) * j / ny;
            Include(x0, y);
            Include(x1, y);
        }
        if (double.IsInfinity(minX)) return default;
        int bx0 = (int)Math.Floor(minX + 0.5), by0 = (int)Math.Floor(minY + 0.5);
        return Box2I.FromCorners(bx0, by0, (int)Math.Ceiling(maxX - 0.5), (int)Math.Ceiling(maxY - 0.5));
    }

    /// <summary>The largest distance, in source pixels, between the interpolated and the exact source position over
    /// every pixel of <paramref name="destBox"/>, for <paramref name="interpLength"/>.</summary>
    public static double InterpolationError(SkyWcs sourceWcs, SkyWcs destWcs, Box2I destBox, int interpLength)
    {
        var grid = new SourceGrid(sourceWcs, destWcs, destBox, interpLength);
        var xs = new double[destBox.Width + 1];
        var ys = new double[destBox.Width + 1];
        double worst = 0;
        for (int r = 0; r < destBox.Height; r++)
        {
            grid.Row(r, xs, ys);
            for (int c = 0; c < destBox.Width; c++)
            {
                var (ex, ey) = grid.Exact(destBox.MinX + c, destBox.MinY + r);
                if (double.IsFinite(ex)) worst = Math.Max(worst, Math.Max(Math.Abs(xs[c + 1] - ex), Math.Abs(ys[c + 1] - ey)));
            }
        }
        return worst;
    }

    /// <summary>Source positions of destination pixels: exact on grid rows and columns -1, -1 + L, ..., and at the
    /// box's last row and column; bilinear in between (afw's interpLength scheme).</summary>
    internal sealed class SourceGrid
    {
        private readonly SkyWcs _source, _dest;
        private readonly Box2I _box;
        private readonly int[] _cols, _rows;            // grid offsets from the box minimum, starting at -1
        private readonly double[,] _gx, _gy;            // exact source positions at the grid nodes [row, col]

        public SourceGrid(SkyWcs source, SkyWcs dest, Box2I box, int interpLength)
        {
            (_source, _dest, _box) = (source, dest, box);
            _cols = Nodes(box.Width, interpLength);
            _rows = Nodes(box.Height, interpLength);
            _gx = new double[_rows.Length, _cols.Length];
            _gy = new double[_rows.Length, _cols.Length];
            for (int j = 0; j < _rows.Length; j++)
                for (int i = 0; i < _cols.Length; i++)
                    (_gx[j, i], _gy[j, i]) = Exact(box.MinX + _cols[i], box.MinY + _rows[j]);
        }

        public (double X, double Y) Exact(double x, double y)
        {
            var (ra, dec) = _dest.PixelToSky(x, y);
            return _source.SkyToPixel(ra, dec);
        }

        /// <summary>Source positions of columns -1..W-1 of destination row <paramref name="r"/> (relative to the box; -1 allowed).</summary>
        public unsafe void Row(int r, double[] xs, double[] ys)
        {
            fixed (double* px = xs, py = ys) RowSegment(r, 0, _box.Width, px, py);
        }

        /// <summary>Source positions of columns <paramref name="c0"/> - 1 .. <paramref name="c0"/> + <paramref name="n"/> - 1 of
        /// destination row <paramref name="r"/> (relative to the box; -1 allowed) into xs[0..n], ys[0..n]; four columns at
        /// a time where vectors are accelerated and <paramref name="vectorized"/>, else the plain loop (the reference: the
        /// same bits).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public unsafe void RowSegment(int r, int c0, int n, double* xs, double* ys, bool vectorized = true)
        {
            int j = Segment(_rows, r);
            int ra = _rows[j], rb = _rows[j + 1];
            double t = rb == ra ? 0 : (double)(r - ra) / (rb - ra);
            int from = c0 - 1, to = c0 + n - 1;   // inclusive columns
            for (int i = Segment(_cols, from); i + 1 < _cols.Length && _cols[i] <= to; i++)
            {
                int ca = _cols[i], cb = _cols[i + 1];
                double xa = Lerp(_gx[j, i], _gx[j + 1, i], t), xb = Lerp(_gx[j, i + 1], _gx[j + 1, i + 1], t);
                double ya = Lerp(_gy[j, i], _gy[j + 1, i], t), yb = Lerp(_gy[j, i + 1], _gy[j + 1, i + 1], t);
                int c = Math.Max(ca, from), end = Math.Min(cb, to);
                if (vectorized && Vector256.IsHardwareAccelerated)
                {
                    // Four columns at a time, the same operations as Lerp. A step may run past this cell's last column
                    // (up to the segment's): the next cell writes those columns again.
                    var width = Vector256.Create((double)(cb - ca));
                    var k = Vector256.Create((double)(c - ca)) + Vector256.Create(0.0, 1, 2, 3);
                    var vxa = Vector256.Create(xa);
                    var vxb = Vector256.Create(xb);
                    var vya = Vector256.Create(ya);
                    var vyb = Vector256.Create(yb);
                    var dx = Vector256.Create(xb - xa);
                    var dy = Vector256.Create(yb - ya);
                    for (; c <= end && c + 3 <= to; c += 4, k += Vector256.Create(4.0))
                    {
                        var u = k / width;
                        var atA = Vector256.Equals(u, Vector256<double>.Zero);
                        var atB = Vector256.Equals(u, Vector256<double>.One);
                        Vector256.ConditionalSelect(atA, vxa, Vector256.ConditionalSelect(atB, vxb, vxa + dx * u)).Store(xs + c - from);
                        Vector256.ConditionalSelect(atA, vya, Vector256.ConditionalSelect(atB, vyb, vya + dy * u)).Store(ys + c - from);
                    }
                }
                for (; c <= end; c++)
                {
                    double u = (double)(c - ca) / (cb - ca);
                    xs[c - from] = Lerp(xa, xb, u);
                    ys[c - from] = Lerp(ya, yb, u);
                }
            }
            // Grid nodes are exact (so a NaN node does not leak into its neighbours' values beyond its cells).
            if (r == ra)
                for (int i = 0; i < _cols.Length; i++)
                    if (_cols[i] >= from && _cols[i] <= to) (xs[_cols[i] - from], ys[_cols[i] - from]) = (_gx[j, i], _gy[j, i]);
        }

        private static double Lerp(double a, double b, double t) => t == 0 ? a : t == 1 ? b : a + (b - a) * t;

        private static int[] Nodes(int n, int step)
        {
            var list = new List<int>();
            for (int v = -1; v < n - 1; v += step) list.Add(v);
            list.Add(n - 1);
            if (list.Count == 1) list.Insert(0, -1);
            return [.. list];
        }

        private static int Segment(int[] nodes, int v)
        {
            int j = Array.BinarySearch(nodes, v);
            if (j < 0) j = ~j - 1;
            return Math.Clamp(j, 0, nodes.Length - 2);
        }
    }
}
