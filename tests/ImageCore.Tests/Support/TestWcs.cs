using ImageCore.Astrometry;
using ImageCore.Fits;

namespace ImageCore.Tests.Support;

/// <summary>A plain TAN WCS for synthetic images (0.2"/pixel, north up, east left), so that inputs which must share a
/// grid (coadd inputs) say so.</summary>
internal static class TestWcs
{
    public static SkyWcs Tan(double crpixX = 0, double crpixY = 0) =>
        new((crpixX, crpixY), (150.0, 2.0), new[,] { { -0.2 / 3600, 0 }, { 0, 0.2 / 3600 } });

    /// <summary>A header holding <see cref="Tan"/>.</summary>
    public static FitsHeader Header(double crpixX = 0, double crpixY = 0)
    {
        var h = new FitsHeader();
        Tan(crpixX, crpixY).WriteTo(h);
        return h;
    }
}
