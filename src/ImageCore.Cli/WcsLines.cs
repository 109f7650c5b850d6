using System.Globalization;
using ImageCore.Astrometry;
using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary>Which way <see cref="WcsLines.Convert"/> transforms.</summary>
internal enum WcsDirection
{
    /// <summary>"x y" (0-based pixels) to "ra dec" (degrees).</summary>
    PixelToSky,

    /// <summary>"ra dec" (degrees) to "x y" (0-based pixels).</summary>
    SkyToPixel,
}

/// <summary>
/// Line-by-line coordinate conversion for <c>imagecore wcs</c>: each input line holds two numbers
/// separated by blanks (or a comma); each output line the two converted numbers with 17 significant
/// digits (round-trip exact), "NaN NaN" where there is no answer (a point behind the tangent plane).
/// Blank lines and lines starting with '#' are copied through.
/// </summary>
internal static class WcsLines
{
    /// <summary>Converts every line of <paramref name="input"/>; returns how many points were converted.</summary>
    /// <exception cref="FormatException">A line that is not two numbers; the message gives its number and text.</exception>
    public static long Convert(SkyWcs wcs, WcsDirection direction, TextReader input, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(wcs);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        long lineNumber = 0, converted = 0;
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            lineNumber++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                output.WriteLine(line);
                continue;
            }
            string[] parts = trimmed.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
                                   || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b))
                throw new FormatException($"line {lineNumber}: '{line}' is not two numbers ({(direction == WcsDirection.PixelToSky ? "x y" : "ra dec")})");
            var (c, d) = direction == WcsDirection.PixelToSky ? wcs.PixelToSky(a, b) : wcs.SkyToPixel(a, b);
            output.Write(c.ToString("G17", CultureInfo.InvariantCulture));
            output.Write(' ');
            output.WriteLine(d.ToString("G17", CultureInfo.InvariantCulture));
            converted++;
        }
        return converted;
    }

    /// <summary>The WCS of an HDU of <paramref name="file"/>: <paramref name="hdu"/> is an index or an EXTNAME;
    /// null takes the first HDU whose header has CTYPE1.</summary>
    /// <exception cref="KeyNotFoundException">No such HDU, or (with null) no HDU with a WCS.</exception>
    /// <exception cref="FitsFormatException">The WCS is malformed.</exception>
    /// <exception cref="UnsupportedWcsException">The WCS is of a kind ImageCore does not read.</exception>
    public static SkyWcs FromFile(FitsFile file, string? hdu = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (hdu is null)
        {
            foreach (var h in file.Hdus)
                if (h.Header.Contains("CTYPE1")) return SkyWcs.FromHeader(h.Header);
            throw new KeyNotFoundException($"{file.Name}: no HDU has a WCS (CTYPE1)");
        }
        if (int.TryParse(hdu, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            if (index >= file.Hdus.Count) throw new KeyNotFoundException($"{file.Name} has {file.Hdus.Count} HDUs; there is no HDU {index}");
            return SkyWcs.FromHeader(file[index].Header);
        }
        return SkyWcs.FromHeader(file.GetHdu(hdu).Header);
    }
}
