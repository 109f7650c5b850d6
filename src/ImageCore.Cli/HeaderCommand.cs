using System.CommandLine;
using System.Globalization;
using System.Text;
using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary><c>imagecore header FILE [--hdu N|NAME]</c>: the header cards as stored, as astropy's <c>fitsheader</c>
/// prints them (each card on its own line, trailing blanks trimmed).</summary>
internal static class HeaderCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "FITS file" };
        var hdu = new Option<string?>("--hdu") { Description = "only this HDU: its index (0 is the primary) or its EXTNAME (case ignored)" };
        var command = new Command("header", "Print the header cards of a FITS file as stored (as astropy's fitsheader): every HDU, "
                                            + "each after a line '# HDU n in FILE:', separated by blank lines") { file, hdu };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            // Bytes as stored (Latin-1 maps each byte to one character and back), buffered: one write per block of lines.
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), Encoding.Latin1, bufferSize: 1 << 16, leaveOpen: true);
            Write(stdout, parse.GetValue(file)!.ToString(), parse.GetValue(hdu));
        }));
        return command;
    }

    /// <summary>Writes the headers of <paramref name="path"/> (every HDU, or the one <paramref name="hdu"/> names) to
    /// <paramref name="output"/>. HDUs are read one at a time, so the headers before a malformed one are printed before
    /// the error.</summary>
    private static void Write(TextWriter output, string path, string? hdu)
    {
        using var file = FitsFile.Open(path);
        if (hdu is not null)
        {
            WriteHdu(output, file, Select(file, hdu), hdu, path);
            return;
        }
        for (int i = 0; file.FindHdu(i) is { } h; i++)
        {
            if (i > 0) output.WriteLine();
            WriteHdu(output, file, h, i.ToString(CultureInfo.InvariantCulture), path);
        }
    }

    /// <summary>The HDU an <c>--hdu</c> value names: digits are an index, anything else an EXTNAME.</summary>
    private static FitsHdu Select(FitsFile file, string hdu)
    {
        if (long.TryParse(hdu, NumberStyles.None, CultureInfo.InvariantCulture, out long index))
            return (index <= int.MaxValue ? file.FindHdu((int)index) : null)
                ?? throw new ArgumentException($"{file.Name} has {file.Hdus.Count} HDUs; there is no HDU {hdu} (--hdu)");
        if (long.TryParse(hdu, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) && file.FindHdu(hdu) is null)
            throw new ArgumentException($"--hdu {hdu}: an HDU index is a whole number from 0 (0 is the primary HDU)");
        return file.GetHdu(hdu);
    }

    private static void WriteHdu(TextWriter output, FitsFile file, FitsHdu hdu, string label, string path)
    {
        output.WriteLine($"# HDU {label} in {path}:");
        foreach (string card in file.ReadCardImages(hdu)) output.WriteLine(card.TrimEnd(' '));
    }
}
