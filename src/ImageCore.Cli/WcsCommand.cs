using System.CommandLine;
using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary><c>imagecore wcs FILE [--hdu N|NAME] pix2sky|sky2pix</c>: converts lines read from stdin.</summary>
internal static class WcsCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "FITS file with a celestial WCS (TAN or TAN-SIP)" };
        var direction = new Argument<string>("DIRECTION") { Description = "pix2sky (stdin lines 'x y', 0-based pixels) or sky2pix (stdin lines 'ra dec', degrees)" };
        direction.AcceptOnlyFromAmong("pix2sky", "sky2pix");
        var hdu = new Option<string?>("--hdu") { Description = "HDU index or EXTNAME (default: the first HDU with CTYPE1)" };
        var command = new Command("wcs", "Pixel <-> sky conversion with a file's WCS, one line per point, 17 significant digits") { file, direction, hdu };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var fits = FitsFile.Open(parse.GetValue(file)!.FullName);
            var wcs = WcsLines.FromFile(fits, parse.GetValue(hdu));
            var dir = parse.GetValue(direction) == "pix2sky" ? WcsDirection.PixelToSky : WcsDirection.SkyToPixel;
            using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
            WcsLines.Convert(wcs, dir, Console.In, stdout);
        }));
        return command;
    }
}
