using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Characterize;

/// <summary>
/// Stores a <see cref="BackgroundModel"/> as a FITS image extension named <c>BACKGROUND</c> (docs/characterize.md):
/// the grid of bin values as a BinsX x BinsY float32 image (NAXIS1 = bins across), and keywords that rebuild the model
/// exactly: BKGIMW/BKGIMH (the image size), BKGX0/BKGY0 (its xy0), BKGINTRP (AKIMA or LINEAR), BKGSTAT (MEANCLIP or
/// MEDIAN), BKGBINSZ (the nominal bin size), BKGFILL (bins filled from neighbours). Bin i spans columns
/// floor(i W / BinsX) to floor((i + 1) W / BinsX) - 1 and its centre is their mean, so no centre needs storing. astropy
/// opens it as any image extension.
/// </summary>
public static class BackgroundFits
{
    /// <summary>The extension name.</summary>
    public const string ExtName = "BACKGROUND";

    /// <summary>Writes <paramref name="model"/> as the next HDU of <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer (an empty primary HDU must come first if this is the file's first HDU: a primary HDU
    /// may hold it too, but astropy's convention is an extension).</param>
    /// <param name="model">The model.</param>
    /// <param name="header">Extra cards (provenance), or null; the model's own keywords replace any of the same name.</param>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="InvalidOperationException">The writer is committed, disposed, or an earlier write failed.</exception>
    public static void Write(FitsWriter writer, BackgroundModel model, FitsHeader? header = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(model);
        var h = header?.Clone() ?? new FitsHeader();
        h.Set("EXTNAME", ExtName, "sky background model: bin values");
        h.Set("BKGIMW", model.BBox.Width, "width of the image modelled, pixels");
        h.Set("BKGIMH", model.BBox.Height, "height of the image modelled, pixels");
        h.Set("BKGX0", model.BBox.MinX, "x0 of the image modelled (parent coordinates)");
        h.Set("BKGY0", model.BBox.MinY, "y0 of the image modelled (parent coordinates)");
        h.Set("BKGINTRP", InterpolationName(model.Interpolation), "interpolation between bin centres");
        h.Set("BKGSTAT", StatisticName(model.Statistic), "statistic of each bin");
        h.Set("BKGBINSZ", model.BinSize, "nominal bin size, pixels");
        h.Set("BKGFILL", model.FilledBins, "bins filled from their neighbours");
        float[] values = model.GetBinValues();
        writer.WriteImage(h, new ReadOnlySpan2D<float>(values, model.BinsY, model.BinsX));
    }

    /// <summary>Reads the first <c>BACKGROUND</c> extension of the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="KeyNotFoundException">The file has no BACKGROUND HDU (the message names the file).</exception>
    /// <exception cref="FitsFormatException">The HDU is not a 2-D float image or a keyword is missing or wrong (the
    /// message names the file, HDU and keyword).</exception>
    public static BackgroundModel Read(string path)
    {
        using var file = FitsFile.Open(path);
        return Read(file, file.GetHdu(ExtName));
    }

    /// <summary>Reads a background model from HDU <paramref name="hdu"/> of <paramref name="file"/>.</summary>
    /// <exception cref="FitsFormatException">The HDU is not a 2-D image, a keyword is missing or wrong, or a bin is not
    /// finite (the message names the file, HDU and keyword).</exception>
    public static BackgroundModel Read(FitsFile file, FitsHdu hdu)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(hdu);
        var h = hdu.Header;
        if (!hdu.HasImageData || hdu.Axes.Count != 2)
            throw new FitsFormatException(file.Name, hdu.Index, hdu.HeaderOffset, "NAXIS", "a background model is a 2-D image of bin values");
        int width = h.GetInt32("BKGIMW"), height = h.GetInt32("BKGIMH"), binsX = (int)hdu.Axes[0], binsY = (int)hdu.Axes[1];
        if (width < 1 || height < 1)
            throw new FitsFormatException(file.Name, hdu.Index, hdu.HeaderOffset, "BKGIMW", $"image size {width}x{height} is empty");
        if (binsX > width || binsY > height)
            throw new FitsFormatException(file.Name, hdu.Index, hdu.HeaderOffset, "NAXIS1", $"{binsX}x{binsY} bins do not fit a {width}x{height} image");
        var box = new Box2I(h.GetInt32("BKGX0"), h.GetInt32("BKGY0"), width, height);
        var interpolation = h.GetString("BKGINTRP").Trim() switch
        {
            "AKIMA" => BackgroundInterpolation.Akima,
            "LINEAR" => BackgroundInterpolation.Linear,
            var other => throw new FitsFormatException(file.Name, hdu.Index, hdu.HeaderOffset, "BKGINTRP", $"unknown interpolation '{other}' (AKIMA or LINEAR)"),
        };
        var statistic = h.GetString("BKGSTAT").Trim() switch
        {
            "MEANCLIP" => BackgroundStatistic.MeanClip,
            "MEDIAN" => BackgroundStatistic.Median,
            var other => throw new FitsFormatException(file.Name, hdu.Index, hdu.HeaderOffset, "BKGSTAT", $"unknown statistic '{other}' (MEANCLIP or MEDIAN)"),
        };
        int binSize = h.GetInt32("BKGBINSZ"), filled = (int)h.GetInt64("BKGFILL", 0);
        using var plane = Fits.Fits.ReadData<float>(file, hdu, CancellationToken.None);
        var values = new float[binsX * binsY];
        for (int j = 0; j < binsY; j++)
        {
            var row = plane.GetRowSpan(j);
            for (int i = 0; i < binsX; i++)
            {
                if (!float.IsFinite(row[i]))
                    throw new FitsFormatException(file.Name, hdu.Index, hdu.DataOffset, null, $"background bin ({i}, {j}) is {row[i]}");
                values[j * binsX + i] = row[i];
            }
        }
        return new BackgroundModel(box, binsX, binsY, values, interpolation, binSize, statistic, filled);
    }

    private static string InterpolationName(BackgroundInterpolation i) => i switch
    {
        BackgroundInterpolation.Akima => "AKIMA",
        BackgroundInterpolation.Linear => "LINEAR",
        _ => throw new ArgumentOutOfRangeException(nameof(i), i, "unknown interpolation"),
    };

    private static string StatisticName(BackgroundStatistic s) => s switch
    {
        BackgroundStatistic.MeanClip => "MEANCLIP",
        BackgroundStatistic.Median => "MEDIAN",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "unknown statistic"),
    };
}
