using System.Buffers;
using CommunityToolkit.HighPerformance;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Characterize;

/// <summary>
/// A sky background model (afw's <c>BackgroundMI</c>): one value per bin of a grid over an image's box and a smooth
/// surface through the bin centres (<see cref="Interpolation"/>). Immutable; measure it with
/// <see cref="Measure(MaskedImage, BackgroundConfig, int, CancellationToken)"/>, evaluate it with
/// <see cref="GetImage"/> or <see cref="Evaluate"/>, take it off an image with
/// <see cref="SubtractFrom(MaskedImage, int)"/> and put it back with <see cref="AddTo(MaskedImage, int)"/>; store it
/// with <see cref="BackgroundFits"/>. Evaluation depends only on the box, the grid values and the interpolation, so
/// a model read back from a file evaluates bit for bit as the one written.
/// </summary>
public sealed class BackgroundModel
{
    /// <summary>afw's interquartile range to standard deviation factor for a Gaussian (1 / 1.349).</summary>
    private const double IqrToSigma = 0.741301109;

    private readonly float[] _values;       // BinsY x BinsX, row-major
    private readonly double[] _centresX;    // local pixel coordinates (pixel k's centre is k)
    private readonly double[] _centresY;
    private readonly int[] _pieceStartX;    // BinsX + 2 pixel columns: piece p covers [_pieceStartX[p], _pieceStartX[p + 1])
    private readonly SplinePiece[] _columnPieces;   // BinsX x (BinsY + 1): the curve along y of each column of bins

    /// <summary>A model from its grid (used by <see cref="Measure(MaskedImage, BackgroundConfig, int, CancellationToken)"/> and
    /// <see cref="BackgroundFits.Read(Fits.FitsFile, Fits.FitsHdu)"/>).</summary>
    /// <param name="bbox">The image box, parent coordinates.</param>
    /// <param name="binsX">Bins across (1..width).</param>
    /// <param name="binsY">Bins down (1..height).</param>
    /// <param name="values">BinsY x BinsX finite values, row-major (copied).</param>
    /// <param name="interpolation">The interpolation.</param>
    /// <param name="binSize">The nominal bin size that made the grid (provenance).</param>
    /// <param name="statistic">The bin statistic (provenance).</param>
    /// <param name="filledBins">Bins filled from their neighbours (provenance).</param>
    internal BackgroundModel(Box2I bbox, int binsX, int binsY, ReadOnlySpan<float> values, BackgroundInterpolation interpolation,
                             int binSize, BackgroundStatistic statistic, int filledBins)
    {
        if (bbox.IsEmpty) throw new ArgumentException($"background box {bbox} is empty", nameof(bbox));
        if (binsX < 1 || binsX > bbox.Width || binsY < 1 || binsY > bbox.Height)
            throw new ArgumentException($"a {binsX}x{binsY} grid of bins does not fit a {bbox.Width}x{bbox.Height} image");
        if (values.Length != binsX * binsY) throw new ArgumentException($"{values.Length} bin values for a {binsX}x{binsY} grid", nameof(values));
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"bin ({i % binsX}, {i / binsX}) of the background grid is {values[i]}", nameof(values));
        BBox = bbox;
        BinsX = binsX;
        BinsY = binsY;
        _values = values.ToArray();
        Interpolation = interpolation;
        BinSize = binSize;
        Statistic = statistic;
        FilledBins = filledBins;
        _centresX = Centres(bbox.Width, binsX);
        _centresY = Centres(bbox.Height, binsY);
        _pieceStartX = new int[binsX + 2];
        for (int k = 0; k < binsX; k++) _pieceStartX[k + 1] = (int)Math.Ceiling(_centresX[k]);
        _pieceStartX[binsX + 1] = bbox.Width;
        _columnPieces = new SplinePiece[binsX * (binsY + 1)];
        var column = new double[binsY];
        var slopes = new double[binsY + 3];
        for (int i = 0; i < binsX; i++)
        {
            for (int j = 0; j < binsY; j++) column[j] = _values[j * binsX + i];
            BackgroundSpline.Fit(_centresY, column, interpolation, _columnPieces.AsSpan(i * (binsY + 1), binsY + 1), slopes);
        }
    }

    /// <summary>The image box the model covers, parent coordinates.</summary>
    public Box2I BBox { get; }

    /// <summary>Bins across.</summary>
    public int BinsX { get; }

    /// <summary>Bins down.</summary>
    public int BinsY { get; }

    /// <summary>The nominal bin size the grid was made from (<see cref="BackgroundConfig.BinSize"/>), pixels.</summary>
    public int BinSize { get; }

    /// <summary>The interpolation between bin centres.</summary>
    public BackgroundInterpolation Interpolation { get; }

    /// <summary>The statistic that measured the bins.</summary>
    public BackgroundStatistic Statistic { get; }

    /// <summary>How many bins had too few good pixels and were filled from their neighbours.</summary>
    public int FilledBins { get; }

    /// <summary>The value of bin (<paramref name="binX"/>, <paramref name="binY"/>) (image units).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such bin.</exception>
    public float GetBinValue(int binX, int binY)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(binX);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(binX, BinsX);
        ArgumentOutOfRangeException.ThrowIfNegative(binY);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(binY, BinsY);
        return _values[binY * BinsX + binX];
    }

    /// <summary>The bin values, BinsY rows of BinsX, row-major (a copy).</summary>
    public float[] GetBinValues() => (float[])_values.Clone();

    /// <summary>The box of bin (<paramref name="binX"/>, <paramref name="binY"/>), parent coordinates: columns
    /// floor(i W / BinsX) to floor((i + 1) W / BinsX) - 1 of the image, rows likewise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such bin.</exception>
    public Box2I GetBinBox(int binX, int binY)
    {
        GetBinValue(binX, binY);
        int x0 = Edge(BBox.Width, BinsX, binX), x1 = Edge(BBox.Width, BinsX, binX + 1);
        int y0 = Edge(BBox.Height, BinsY, binY), y1 = Edge(BBox.Height, BinsY, binY + 1);
        return new Box2I(BBox.MinX + x0, BBox.MinY + y0, x1 - x0, y1 - y0);
    }

    /// <summary>The centre of bin column <paramref name="binX"/>, parent x (a whole or half pixel).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such bin column.</exception>
    public double GetBinCentreX(int binX)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(binX);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(binX, BinsX);
        return BBox.MinX + _centresX[binX];
    }

    /// <summary>The centre of bin row <paramref name="binY"/>, parent y (a whole or half pixel).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such bin row.</exception>
    public double GetBinCentreY(int binY)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(binY);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(binY, BinsY);
        return BBox.MinY + _centresY[binY];
    }

    /// <summary>The model at pixel (<paramref name="x"/>, <paramref name="y"/>), parent coordinates, computed as
    /// <see cref="Evaluate"/> computes it (so equal to it bit for bit).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The pixel is outside <see cref="BBox"/>.</exception>
    public float At(int x, int y)
    {
        if (!BBox.Contains(new Point2I(x, y))) throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside the background's box {BBox}");
        var scratch = new RowScratch(BinsX, BinsY);
        Span<float> row = new float[BBox.Width];
        EvaluateRow<WriteBackground>(row, y - BBox.MinY, scratch, vector: false);
        return row[x - BBox.MinX];
    }

    /// <summary>A new image of the model over <see cref="BBox"/> (the caller disposes it).</summary>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    public Image<float> GetImage(int maxDegreeOfParallelism = 1)
    {
        var image = new Image<float>(BBox.Width, BBox.Height, BBox.Min);
        Apply<WriteBackground>(image.Plane, maxDegreeOfParallelism, vector: true);
        return image;
    }

    /// <summary>Writes the model into <paramref name="destination"/>, which covers <see cref="BBox"/> (its [0, 0] is
    /// the box's minimum corner). One thread.</summary>
    /// <exception cref="ArgumentException">The destination is not the box's size.</exception>
    public void Evaluate(Span2D<float> destination)
    {
        CheckSize(destination.Width, destination.Height, "destination");
        var scratch = new RowScratch(BinsX, BinsY);
        for (int y = 0; y < destination.Height; y++) EvaluateRow<WriteBackground>(destination.GetRowSpan(y), y, scratch, vector: true);
    }

    /// <summary>In place: <c>image -= model</c> over the whole image, which must cover exactly <see cref="BBox"/>.
    /// Non-finite pixels stay non-finite.</summary>
    /// <param name="image">The image.</param>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    /// <exception cref="ArgumentException">The image's box is not <see cref="BBox"/>.</exception>
    public void SubtractFrom(Image<float> image, int maxDegreeOfParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckBox(image.BBox);
        Apply<SubtractBackground>(image.Plane, maxDegreeOfParallelism, vector: true);
    }

    /// <summary>In place: subtracts the model from the image plane of <paramref name="image"/> (mask and variance are
    /// left as they are, as afw does: the model's own noise is negligible).</summary>
    /// <param name="image">The image, covering exactly <see cref="BBox"/>.</param>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    /// <exception cref="ArgumentException">The image's box is not <see cref="BBox"/>.</exception>
    public void SubtractFrom(MaskedImage image, int maxDegreeOfParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(image);
        SubtractFrom(image.Image, maxDegreeOfParallelism);
    }

    /// <summary>In place: <c>image += model</c>, restoring an image the model was subtracted from (to within
    /// single-precision rounding of the two operations).</summary>
    /// <param name="image">The image, covering exactly <see cref="BBox"/>.</param>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    /// <exception cref="ArgumentException">The image's box is not <see cref="BBox"/>.</exception>
    public void AddTo(Image<float> image, int maxDegreeOfParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckBox(image.BBox);
        Apply<AddBackground>(image.Plane, maxDegreeOfParallelism, vector: true);
    }

    /// <summary>In place: adds the model back to the image plane of <paramref name="image"/>.</summary>
    /// <param name="image">The image, covering exactly <see cref="BBox"/>.</param>
    /// <param name="maxDegreeOfParallelism">Row bands run on up to this many threads.</param>
    /// <exception cref="ArgumentException">The image's box is not <see cref="BBox"/>.</exception>
    public void AddTo(MaskedImage image, int maxDegreeOfParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(image);
        AddTo(image.Image, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Measures the background of <paramref name="image"/> (not changed): the box is cut into
    /// ceil(W / BinSize) x ceil(H / BinSize) bins of nearly equal size; each bin's good pixels (finite, and none of
    /// <see cref="BackgroundConfig.IgnoredPlanes"/> set) give its value by <see cref="BackgroundConfig.Statistic"/> when
    /// they are at least <see cref="BackgroundConfig.MinGoodFraction"/> of the bin. A bin without a value is filled in
    /// passes: each pass gives every empty bin the mean of its 8 neighbours that had values after the previous pass,
    /// until none is empty (so a hole fills from its rim inwards, the same whatever the order of bins).
    /// </summary>
    /// <param name="image">The image (sky not yet subtracted).</param>
    /// <param name="config">The settings (validated here).</param>
    /// <param name="maxDegreeOfParallelism">Rows of bins run on up to this many threads; the result does not depend on it.</param>
    /// <param name="cancel">Checked between rows of bins.</param>
    /// <returns>The model over the image's box.</returns>
    /// <exception cref="ConfigException">An invalid setting.</exception>
    /// <exception cref="KeyNotFoundException">An ignored plane is not defined in the image's mask.</exception>
    /// <exception cref="BackgroundException">No bin has enough good pixels (for example every pixel masked).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static BackgroundModel Measure(MaskedImage image, BackgroundConfig config, int maxDegreeOfParallelism = 1,
                                          CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        int ignore = image.Mask.GetBitMask([.. config.IgnoredPlanes]);
        var box = image.BBox;
        int w = box.Width, h = box.Height;
        int nx = (int)((w + (long)config.BinSize - 1) / config.BinSize), ny = (int)((h + (long)config.BinSize - 1) / config.BinSize);
        var values = new float[nx * ny];
        var good = new long[nx * ny];
        var pixels = image.Image.Plane;
        var mask = image.Mask.Image.Plane;
        int maxBin = (Edge(w, nx, 1) - Edge(w, nx, 0) + 1) * (Edge(h, ny, 1) - Edge(h, ny, 0) + 1);
        Parallel.For(0, ny, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel }, j =>
        {
            float[] buffer = ArrayPool<float>.Shared.Rent(maxBin);
            try
            {
                int y0 = Edge(h, ny, j), y1 = Edge(h, ny, j + 1);
                for (int i = 0; i < nx; i++)
                {
                    int x0 = Edge(w, nx, i), x1 = Edge(w, nx, i + 1), n = 0;
                    for (int y = y0; y < y1; y++)
                    {
                        var row = pixels.GetRowSpan(y)[x0..x1];
                        var m = mask.GetRowSpan(y)[x0..x1];
                        for (int x = 0; x < row.Length; x++)
                            if ((m[x] & ignore) == 0 && float.IsFinite(row[x])) buffer[n++] = row[x];
                    }
                    good[j * nx + i] = n;
                    long area = (long)(x1 - x0) * (y1 - y0);
                    values[j * nx + i] = n > 0 && n >= config.MinGoodFraction * area
                        ? (float)BinStatistic(buffer.AsSpan(0, n), config.Statistic, config.ClipSigma, config.ClipIterations)
                        : float.NaN;
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        });
        long goodPixels = good.Sum();
        int filled = FillEmptyBins(values, nx, ny);
        if (filled < 0)
            throw new BackgroundException(box, goodPixels,
                $"background of the {box} image: no bin of {config.BinSize} px has {config.MinGoodFraction:P0} good pixels " +
                $"({goodPixels} good pixels in all; ignored planes {string.Join(", ", config.IgnoredPlanes)}, and non-finite values)");
        return new BackgroundModel(box, nx, ny, values, config.Interpolation, config.BinSize, config.Statistic, filled);
    }

    /// <summary>The statistic of one bin's good values (reordered).</summary>
    internal static double BinStatistic(Span<float> values, BackgroundStatistic statistic, double clipSigma, int iterations)
    {
        double median = OrderStatistics.SelectQuantile(values, 0.5);
        if (statistic == BackgroundStatistic.Median) return median;
        double q1 = OrderStatistics.SelectQuantile(values, 0.25), q3 = OrderStatistics.SelectQuantile(values, 0.75);
        double centre = median, halfWidth = clipSigma * IqrToSigma * (q3 - q1);
        for (int it = 0; it < iterations; it++)
        {
            double sum = 0;
            long n = 0;
            foreach (float v in values)
                if (Math.Abs(v - centre) <= halfWidth) { sum += v; n++; }
            if (n == 0) break;
            double mean = sum / n, squares = 0;
            foreach (float v in values)
                if (Math.Abs(v - centre) <= halfWidth) squares += (v - mean) * (v - mean);
            centre = mean;
            halfWidth = clipSigma * Math.Sqrt(n > 1 ? squares / (n - 1) : 0);
        }
        return centre;
    }

    /// <summary>Fills the NaN bins in passes from their 8 neighbours; returns how many were filled, or -1 when every
    /// bin is NaN.</summary>
    internal static int FillEmptyBins(float[] values, int nx, int ny)
    {
        int empty = values.Count(float.IsNaN);
        if (empty == values.Length) return -1;
        int filled = empty;
        var next = (float[])values.Clone();
        while (empty > 0)
        {
            for (int j = 0; j < ny; j++)
                for (int i = 0; i < nx; i++)
                {
                    if (!float.IsNaN(values[j * nx + i])) continue;
                    double sum = 0;
                    int n = 0;
                    for (int dj = -1; dj <= 1; dj++)
                        for (int di = -1; di <= 1; di++)
                        {
                            int ii = i + di, jj = j + dj;
                            if (ii < 0 || ii >= nx || jj < 0 || jj >= ny) continue;
                            float v = values[jj * nx + ii];
                            if (!float.IsNaN(v)) { sum += v; n++; }
                        }
                    if (n > 0) { next[j * nx + i] = (float)(sum / n); empty--; }
                }
            Array.Copy(next, values, values.Length);
        }
        return filled;
    }

    /// <summary>Column (or row) where bin <paramref name="i"/> of <paramref name="bins"/> starts: floor(i size / bins).</summary>
    private static int Edge(int size, int bins, int i) => (int)((long)i * size / bins);

    /// <summary>Bin centres, local pixel coordinates: the mean of a bin's first and last pixel.</summary>
    private static double[] Centres(int size, int bins)
    {
        var c = new double[bins];
        for (int i = 0; i < bins; i++) c[i] = 0.5 * (Edge(size, bins, i) + Edge(size, bins, i + 1) - 1);
        return c;
    }

    private void CheckBox(Box2I box)
    {
        if (box != BBox) throw new ArgumentException($"the image's box {box} is not the background's box {BBox}", "image");
    }

    private void CheckSize(int width, int height, string what)
    {
        if (width != BBox.Width || height != BBox.Height)
            throw new ArgumentException($"{what} is {width}x{height} px but the background covers {BBox.Width}x{BBox.Height} px", what);
    }

    /// <summary>Scratch of one thread's rows.</summary>
    internal sealed class RowScratch(int binsX, int binsY)
    {
        public readonly double[] Values = new double[binsX];
        public readonly SplinePiece[] Pieces = new SplinePiece[binsX + 1];
        public readonly double[] Slopes = new double[Math.Max(binsX, binsY) + 3];
        public readonly RowPiece[] RowPieces = new RowPiece[binsX + 1];
    }

    /// <summary>Applies the model to rows of a plane covering the box, in row bands.</summary>
    internal void Apply<TMode>(Plane<float> plane, int maxDegreeOfParallelism, bool vector) where TMode : struct, IBackgroundApply
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        CheckSize(plane.Width, plane.Height, "image");
        const int bandRows = 64;
        int bands = (plane.Height + bandRows - 1) / bandRows;
        if (maxDegreeOfParallelism == 1 || bands == 1)
        {
            var scratch = new RowScratch(BinsX, BinsY);
            for (int y = 0; y < plane.Height; y++) EvaluateRow<TMode>(plane.GetRowSpan(y), y, scratch, vector);
            return;
        }
        Parallel.For(0, bands, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, b =>
        {
            var scratch = new RowScratch(BinsX, BinsY);
            for (int y = b * bandRows, end = Math.Min(plane.Height, y + bandRows); y < end; y++)
                EvaluateRow<TMode>(plane.GetRowSpan(y), y, scratch, vector);
        });
    }

    /// <summary>One row (local <paramref name="y"/>): the curves along y give the row's value under every column of
    /// bins, a curve along x through them gives the row's pieces, and the kernel applies them.</summary>
    internal void EvaluateRow<TMode>(Span<float> row, int y, RowScratch s, bool vector) where TMode : struct, IBackgroundApply
    {
        int k = BackgroundSpline.PieceIndex(_centresY, y);
        for (int i = 0; i < BinsX; i++) s.Values[i] = _columnPieces[i * (BinsY + 1) + k].At(y);
        BackgroundSpline.Fit(_centresX, s.Values, Interpolation, s.Pieces, s.Slopes);
        for (int p = 0; p <= BinsX; p++)
        {
            var piece = s.Pieces[p];
            int start = _pieceStartX[p];
            s.RowPieces[p] = new RowPiece(start, _pieceStartX[p + 1], (float)(start - piece.Origin),
                                          (float)piece.A, (float)piece.B, (float)piece.C, (float)piece.D);
        }
        if (vector) BackgroundRow.Run<TMode>(row, s.RowPieces);
        else BackgroundRow.RunScalar<TMode>(row, s.RowPieces);
    }
}
