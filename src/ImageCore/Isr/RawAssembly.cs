using CommunityToolkit.HighPerformance;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Isr;

/// <summary>
/// Reads a raw detector file into the assembled untrimmed image (all flips applied at read time, as
/// obs_lsst's raw formatter and afw's <c>assembleAmplifierRawImage</c> do) and trims it to the
/// detector image (ISR step "assemble and trim": each amplifier's RawDataBBox copied to its BBox).
/// </summary>
public static class RawAssembly
{
    /// <summary>Reads the 16 segment HDUs of <paramref name="raw"/> (found by EXTNAME) into a new
    /// float32 image of <see cref="Detector.RawBBox"/>: physical values (BZERO/BSCALE applied).</summary>
    /// <exception cref="FitsFormatException">A segment is missing, of the wrong size, or its DATASEC or
    /// BIASSEC disagrees with the camera; the message names the file, HDU and keyword.</exception>
    public static Image<float> ReadUntrimmed(FitsFile raw, Detector detector)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(detector);
        var layout = detector.Layout;
        var image = new Image<float>(detector.RawBBox);
        using var segment = new Plane<float>(layout.RawWidth, layout.RawHeight, clear: false);
        try
        {
            foreach (var amp in detector.Amplifiers)
            {
                var hdu = raw.FindHdu(amp.ExtName)
                          ?? throw new FitsFormatException(raw.Name, -1, -1, "EXTNAME", $"no {amp.ExtName} HDU for amplifier {amp.Name} of {detector.Name}");
                if (hdu.Width != layout.RawWidth || hdu.Height != layout.RawHeight)
                    throw new FitsFormatException(raw.Name, hdu.Index, -1, "NAXIS",
                        $"{amp.ExtName} is {hdu.Width}x{hdu.Height}; a {detector.Vendor} segment is {layout.RawWidth}x{layout.RawHeight}");
                Check(hdu, "DATASEC", amp.DataSec, raw.Name);
                Check(hdu, "BIASSEC", amp.BiasSec, raw.Name);
                raw.ReadRows(hdu, 0, segment.AsSpan2D());
                Place(segment.AsSpan2D(), image.View(amp.RawBBox), amp.FlipX, amp.FlipY);
            }
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>The trimmed detector plane (image, variance or mask pixels): each amplifier's imaging pixels moved to its place.</summary>
    /// <exception cref="ArgumentException"><paramref name="untrimmed"/> is not the detector's raw box.</exception>
    public static Image<T> Trim<T>(Image<T> untrimmed, Detector detector) where T : unmanaged
    {
        if (untrimmed.BBox != detector.RawBBox)
            throw new ArgumentException($"{detector.Name}: untrimmed image is {untrimmed.BBox}, expected {detector.RawBBox}", nameof(untrimmed));
        var trimmed = new Image<T>(detector.BBox);
        foreach (var amp in detector.Amplifiers)
            untrimmed.View(amp.RawDataBBox).CopyTo(trimmed.View(amp.BBox));
        return trimmed;
    }

    /// <summary>Copies a segment in file orientation into its assembled place, mirroring as asked.</summary>
    internal static void Place(ReadOnlySpan2D<float> source, Span2D<float> target, bool flipX, bool flipY)
    {
        int w = source.Width, h = source.Height;
        for (int y = 0; y < h; y++)
        {
            var from = source.GetRowSpan(y);
            var to = target.GetRowSpan(flipY ? h - 1 - y : y);
            if (!flipX)
            {
                from.CopyTo(to);
                continue;
            }
            for (int x = 0; x < w; x++) to[w - 1 - x] = from[x];
        }
    }

    private static void Check(FitsHdu hdu, string keyword, IrafSection expected, string file)
    {
        string? text = hdu.Header.GetString(keyword, null);
        if (text is null) return;
        IrafSection found;
        try { found = IrafSection.Parse(text); }
        catch (FormatException e) { throw new FitsFormatException(file, hdu.Index, -1, keyword, e.Message); }
        if (found.Box != expected.Box)
            throw new FitsFormatException(file, hdu.Index, -1, keyword, $"{keyword} = '{text}' but the camera says {expected}");
    }
}
