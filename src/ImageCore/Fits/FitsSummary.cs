using System.Buffers;

namespace ImageCore.Fits;

/// <summary>NaN-aware statistics of an image's physical values, accumulated in double.</summary>
/// <param name="Count">Pixels that are not NaN (BLANK pixels read as NaN).</param>
/// <param name="NaN">NaN pixels.</param>
/// <param name="Min">Smallest non-NaN value, or null when <paramref name="Count"/> is 0.</param>
/// <param name="Max">Largest non-NaN value, or null.</param>
/// <param name="Mean">Sum / Count, or null.</param>
/// <param name="Sum">Sum of the non-NaN values (0 when there are none).</param>
public sealed record ImageStatistics(long Count, long NaN, double? Min, double? Max, double? Mean, double Sum);

/// <summary>One HDU as <c>imagecore info</c> reports it.</summary>
/// <param name="Index">Zero-based HDU index.</param>
/// <param name="ExtName">EXTNAME, or null.</param>
/// <param name="Type">astropy's class name for the HDU: PrimaryHDU, ImageHDU, BinTableHDU, TableHDU,
/// CompImageHDU, GroupsHDU, or the XTENSION value for other extensions.</param>
/// <param name="Bitpix">BITPIX.</param>
/// <param name="Naxis">NAXIS1..NAXISn.</param>
/// <param name="BZero">BZERO for images (0 when absent), null for other HDUs.</param>
/// <param name="BScale">BSCALE for images (1 when absent), null for other HDUs.</param>
/// <param name="Cards">Logical header cards, END excluded (a CONTINUEd string counts once).</param>
/// <param name="Stats">Statistics of the physical values, for image HDUs when asked; otherwise null.</param>
/// <param name="Checksums">The HDU's CHECKSUM and DATASUM checked against its bytes (null where a keyword is absent;
/// a DATASUM that is not an unsigned integer does not verify).</param>
public sealed record HduSummary(int Index, string? ExtName, string Type, int Bitpix, IReadOnlyList<long> Naxis,
                                double? BZero, double? BScale, int Cards, ImageStatistics? Stats, FitsChecksumResult Checksums = default);

/// <summary>Summaries and statistics of FITS files (the library side of <c>imagecore info</c>).</summary>
public static class FitsSummary
{
    /// <summary>Summarises every HDU of <paramref name="path"/>, verifying each HDU's CHECKSUM and DATASUM where present
    /// (the data are streamed through, never held).</summary>
    /// <param name="path">A FITS file.</param>
    /// <param name="withStats">Compute <see cref="ImageStatistics"/> for image HDUs with data.</param>
    /// <exception cref="FitsFormatException">The file is malformed.</exception>
    /// <param name="cancel">Checked between measurements, cases or HDUs.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static IReadOnlyList<HduSummary> Describe(string path, bool withStats, CancellationToken cancel = default)
    {
        using var file = FitsFile.Open(path);
        var result = new List<HduSummary>();
        foreach (var hdu in file.Hdus)
        {
            cancel.ThrowIfCancellationRequested();
            bool image = hdu.Type == FitsHduType.Image;
            var stats = withStats && image ? Statistics(file, hdu) : null;
            result.Add(new HduSummary(hdu.Index, hdu.ExtName, TypeName(hdu), hdu.Bitpix, hdu.Axes,
                                      image ? hdu.BZero : null, image ? hdu.BScale : null, hdu.Header.Count, stats,
                                      Checksums(file, hdu)));
        }
        return result;
    }

    private static FitsChecksumResult Checksums(FitsFile file, FitsHdu hdu)
    {
        try
        {
            return file.VerifyChecksum(hdu);
        }
        catch (FitsFormatException e) when (e.Keyword == "DATASUM")
        {
            return new FitsChecksumResult(null, false);
        }
    }

    /// <summary>astropy's class name for an HDU.</summary>
    public static string TypeName(FitsHdu hdu) => hdu.Type switch
    {
        FitsHduType.Image => hdu.IsPrimary ? "PrimaryHDU" : "ImageHDU",
        FitsHduType.BinaryTable => "BinTableHDU",
        FitsHduType.AsciiTable => "TableHDU",
        FitsHduType.CompressedImage => "CompImageHDU",
        FitsHduType.RandomGroups => "GroupsHDU",
        _ => hdu.Xtension ?? "Unknown",
    };

    /// <summary>Statistics of an image HDU's physical values, streamed in pieces of a fixed size whatever the image's
    /// shape (a 1 x 500,000,000 image takes the memory of a 4 x 4 one).</summary>
    /// <exception cref="FitsFormatException">Not an image, or truncated.</exception>
    public static ImageStatistics Statistics(FitsFile file, FitsHdu hdu)
    {
        if (!hdu.HasImageData) return new ImageStatistics(0, 0, null, null, null, 0);
        const int Piece = 1 << 16;
        double[] buffer = ArrayPool<double>.Shared.Rent(Piece);
        try
        {
            long count = 0, nan = 0, total = hdu.PixelCount;
            double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
            for (long at = 0; at < total; at += Piece)
            {
                var values = buffer.AsSpan(0, (int)Math.Min(Piece, total - at));
                file.ReadPixels(hdu, at, values);
                foreach (double v in values)
                {
                    if (double.IsNaN(v)) { nan++; continue; }
                    count++;
                    sum += v;
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
            }
            return count == 0 ? new ImageStatistics(0, nan, null, null, null, 0) : new ImageStatistics(count, nan, min, max, sum / count, sum);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }
}
