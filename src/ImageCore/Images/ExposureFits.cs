using System.Text.RegularExpressions;
using CommunityToolkit.HighPerformance;
using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Psf;

namespace ImageCore.Images;

/// <summary>
/// Reads and writes <see cref="Exposure"/>s in afw's FITS layout: an empty primary HDU holding the
/// metadata, then IMAGE (float32), MASK (int32, one <c>MP_&lt;NAME&gt; = bit</c> card per plane) and
/// VARIANCE (float32) extensions with EXTTYPE and EXTNAME set and xy0 recorded as LTV1/LTV2 = -xy0
/// (and as afw's "A" pixel WCS, CRVAL1A/CRVAL2A = xy0). An exposure with a <see cref="Exposure.Psf"/> has a fifth
/// extension, <c>PSF</c> (<see cref="PsfFits"/>; afw keeps its PSF in binary-table archive HDUs instead, which ImageCore
/// does not write).
/// </summary>
public static class ExposureFits
{
    private static readonly Regex MetadataSkip = new(@"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|CHECKSUM|DATASUM)$", RegexOptions.CultureInvariant);

    /// <summary>Writes <paramref name="exposure"/> to <paramref name="path"/> (temporary name, renamed when complete).</summary>
    /// <exception cref="IOException">Writing failed; no file is left under <paramref name="path"/>.</exception>
    public static void Write(string path, Exposure exposure) => Write(path, exposure, CancellationToken.None);

    /// <summary><see cref="Write(string, Exposure)"/>, giving up between planes once <paramref name="cancel"/> is cancelled
    /// (then the temporary file is deleted and nothing is left under <paramref name="path"/>).</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static void Write(string path, Exposure exposure, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        cancel.ThrowIfCancellationRequested();
        using var writer = FitsWriter.Create(path);
        Write(writer, exposure, cancel);
        cancel.ThrowIfCancellationRequested();
        writer.Commit();
    }

    /// <summary>Writes the four HDUs of <paramref name="exposure"/> (five with a PSF) to a new (empty) writer.</summary>
    public static void Write(FitsWriter writer, Exposure exposure) => Write(writer, exposure, CancellationToken.None);

    private static void Write(FitsWriter writer, Exposure exposure, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (writer.HduCount != 0) throw new InvalidOperationException("an exposure starts a new file: the writer already holds HDUs");
        var mi = exposure.MaskedImage;
        writer.WriteEmpty(exposure.Metadata);
        var (imageHeader, maskHeader, varianceHeader) = PlaneHeaders(exposure.Metadata, mi.Xy0, mi.Mask.Planes);
        writer.WriteImage(imageHeader, (ReadOnlySpan2D<float>)mi.Image.Pixels);
        cancel.ThrowIfCancellationRequested();
        writer.WriteImage(maskHeader, (ReadOnlySpan2D<int>)mi.Mask.Image.Pixels);
        cancel.ThrowIfCancellationRequested();
        writer.WriteImage(varianceHeader, (ReadOnlySpan2D<float>)mi.Variance.Pixels);
        if (exposure.Psf is not null) PsfFits.Write(writer, exposure.Psf);
    }

    /// <summary>The IMAGE, MASK (with one MP_ card per plane) and VARIANCE extension headers of an exposure with this
    /// metadata, xy0 and mask planes.</summary>
    internal static (FitsHeader Image, FitsHeader Mask, FitsHeader Variance) PlaneHeaders(FitsHeader metadata, Point2I xy0, IReadOnlyDictionary<string, int> maskPlanes)
    {
        var celestial = CelestialWcsCards(metadata);
        var maskHeader = PlaneHeader("MASK", xy0, celestial);
        foreach (var (name, bit) in maskPlanes.OrderBy(p => p.Value))
            maskHeader.Add(FitsCard.Integer("MP_" + name, bit, $"mask plane {name}"));
        return (PlaneHeader("IMAGE", xy0, celestial), maskHeader, PlaneHeader("VARIANCE", xy0, celestial));
    }

    /// <summary>Reads an exposure written in the afw layout (by ImageCore, afw or astropy): its planes, mask plane names,
    /// xy0, metadata, WCS (the IMAGE HDU's, else the primary header's; <see cref="HduWcs"/>) and PSF (the <c>PSF</c>
    /// extension, where there is one).</summary>
    /// <example><code>
    /// using var exposure = ExposureFits.Read("postisr/000042/R22_S11.fits");
    /// var (ra, dec) = exposure.Wcs!.PixelToSky(100, 200);
    /// </code></example>
    /// <exception cref="FitsFormatException">A plane is missing, of the wrong type or size, the file is malformed, or
    /// its WCS or PSF extension is (or two WCSs in it disagree).</exception>
    public static Exposure Read(string path) => Read(path, CancellationToken.None);

    /// <summary><see cref="Read(string)"/>, giving up between planes once <paramref name="cancel"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Exposure Read(string path, CancellationToken cancel)
    {
        using var file = FitsFile.Open(path);
        return Read(file, cancel);
    }

    /// <summary>Reads an exposure from an open FITS file (see <see cref="Read(string)"/>).</summary>
    /// <exception cref="FitsFormatException">A plane is missing, of the wrong type or size, or the file is malformed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled (checked between planes).</exception>
    public static Exposure Read(FitsFile file, CancellationToken cancel = default) => Read(file, ReadLayout(file), cancel);

    /// <summary>The exposure of <paramref name="file"/>, whose headers <see cref="ReadLayout"/> has read.</summary>
    internal static Exposure Read(FitsFile file, Layout layout, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        SkyWcs? wcs = null;
        UnsupportedWcsException? unsupported = null;
        if (layout.Image.Header.Contains("CTYPE1"))
        {
            try { wcs = HduWcs.Read(layout.Image, layout.Metadata, layout.BBox); }
            catch (UnsupportedWcsException e) { unsupported = e; }
        }
        var psf = layout.Psf is null ? null : PsfFits.Read(file, layout.Psf);
        Image<float>? image = null, variance = null;
        Mask? mask = null;
        try
        {
            cancel.ThrowIfCancellationRequested();
            image = new Image<float>(file.ReadImage<float>(layout.Image), layout.Xy0);
            cancel.ThrowIfCancellationRequested();
            mask = new Mask(new Image<int>(file.ReadImage<int>(layout.Mask), layout.Xy0));
            cancel.ThrowIfCancellationRequested();
            variance = new Image<float>(file.ReadImage<float>(layout.Variance), layout.Xy0);
            mask.ClearPlanes();
            foreach (var (name, bit) in layout.MaskPlanes) mask.SetPlane(name, bit);
            var exposure = new Exposure(new MaskedImage(image, mask, variance), layout.Metadata, wcs) { Psf = psf };
            if (unsupported is not null) exposure.SetUnsupportedWcs(unsupported);
            return exposure;
        }
        catch
        {
            image?.Dispose();
            mask?.Dispose();
            variance?.Dispose();
            throw;
        }
    }

    /// <summary>What the headers of an exposure file say: its three plane HDUs (the same size, MASK int32), xy0,
    /// the mask planes named by MP_ cards (bits 0..30; without any, a mask's default planes), the primary header's cards
    /// as metadata, and the PSF extension if there is one.</summary>
    internal sealed record Layout(FitsHdu Image, FitsHdu Mask, FitsHdu Variance, Point2I Xy0, IReadOnlyList<(string Name, int Bit)> MaskPlanes, FitsHeader Metadata)
    {
        /// <summary>The <c>PSF</c> extension (<see cref="PsfFits"/>), or null.</summary>
        public FitsHdu? Psf { get; init; }

        /// <summary>The pixel box of the planes.</summary>
        public Box2I BBox => new(Xy0.X, Xy0.Y, (int)Image.Width, (int)Image.Height);
    }

    /// <summary>The <see cref="Layout"/> of <paramref name="file"/>, every header checked before any pixel is read.</summary>
    /// <exception cref="FitsFormatException">A plane is missing or of the wrong type or size, or a card is invalid.</exception>
    internal static Layout ReadLayout(FitsFile file)
    {
        var primary = file[0];
        var imageHdu = Require(file, "IMAGE");
        var maskHdu = Require(file, "MASK");
        var varianceHdu = Require(file, "VARIANCE");
        foreach (var h in new[] { maskHdu, varianceHdu })
            if (h.Width != imageHdu.Width || h.Height != imageHdu.Height)
                throw new FitsFormatException(file.Name, h.Index, -1, "NAXIS",
                    $"{h.ExtName} is {h.Width}x{h.Height} but IMAGE is {imageHdu.Width}x{imageHdu.Height}");
        if (maskHdu.Bitpix != 32)
            throw new FitsFormatException(file.Name, maskHdu.Index, -1, "BITPIX", $"MASK must be int32 (BITPIX 32), not BITPIX {maskHdu.Bitpix}");
        if (imageHdu.Width > int.MaxValue || imageHdu.Height > int.MaxValue)
            throw new FitsFormatException(file.Name, imageHdu.Index, -1, "NAXIS", $"{imageHdu.Width} x {imageHdu.Height} pixels is too large for one image plane");
        var planes = new List<(string, int)>();
        foreach (var c in maskHdu.Header.Where(c => c.Keyword.StartsWith("MP_", StringComparison.Ordinal) && c.Kind == FitsValueKind.Integer))
        {
            long bit = (long)c.Value!;
            if (bit is < 0 or > 30)
                throw new FitsFormatException(file.Name, maskHdu.Index, -1, c.Keyword, $"mask plane bit {bit} is outside 0..30");
            planes.Add((c.Keyword[3..], (int)bit));
        }
        if (planes.Count == 0)   // no MP_ cards: a mask's default planes
            for (int bit = 0; bit < Images.Mask.DefaultPlanes.Count; bit++) planes.Add((Images.Mask.DefaultPlanes[bit], bit));
        var metadata = new FitsHeader(file.Name, 0);
        foreach (var c in primary.Header)
            if (c.Kind == FitsValueKind.Commentary || !MetadataSkip.IsMatch(c.Keyword)) metadata.Add(c);
        return new Layout(imageHdu, maskHdu, varianceHdu, ReadXy0(imageHdu), planes, metadata) { Psf = file.FindHdu(PsfFits.ExtName) };
    }

    private static FitsHdu Require(FitsFile file, string extname) =>
        file.FindHdu(extname) ?? throw new FitsFormatException(file.Name, -1, -1, "EXTNAME", $"no {extname} extension: not an exposure in the afw layout");

    /// <summary>An image HDU's xy0 in its parent (from LTV1/LTV2 = -xy0; (0, 0) without them).</summary>
    /// <exception cref="FitsFormatException">LTV1/LTV2 are not integer offsets.</exception>
    internal static Point2I ReadXy0(FitsHdu hdu)
    {
        var h = hdu.Header;
        double ltv1 = h.GetDouble("LTV1", 0), ltv2 = h.GetDouble("LTV2", 0);
        if (ltv1 != Math.Floor(ltv1) || ltv2 != Math.Floor(ltv2) || Math.Abs(ltv1) > int.MaxValue || Math.Abs(ltv2) > int.MaxValue)
            throw new FitsFormatException(h.Source, hdu.Index, -1, "LTV1", $"LTV1/LTV2 = {ltv1}/{ltv2} are not integer offsets");
        return new Point2I(-(int)ltv1, -(int)ltv2);
    }

    /// <summary>The celestial WCS cards of the metadata (primary WCS only: no alternate letter), which every plane
    /// header repeats, as afw writes them, so that tools reading one image HDU (astropy, ds9, SWarp) find them.</summary>
    private static List<FitsCard> CelestialWcsCards(FitsHeader metadata)
    {
        var cards = new List<FitsCard>();
        if (!metadata.Contains("CTYPE1")) return cards;
        foreach (var c in metadata)
            if (c.Kind != FitsValueKind.Commentary && WcsKeyword.IsMatch(c.Keyword)) cards.Add(c);
        return cards;
    }

    /// <summary>Keywords that describe a file's structure, not its content (SIMPLE, BITPIX, NAXISn, EXTEND, CHECKSUM,
    /// DATASUM): left out when a header's cards become metadata.</summary>
    internal static bool IsStructuralKeyword(string keyword) => MetadataSkip.IsMatch(keyword);

    /// <summary>Keywords of an image HDU's own structure and placement, which metadata taken from a plane's header (an
    /// input's, when a warp or coadd copies it) must leave out: <see cref="IsStructuralKeyword"/>, the extension and
    /// scaling keywords, EXTNAME/EXTTYPE and xy0 (LTV1/LTV2).</summary>
    internal static bool IsPlaneStructureKeyword(string keyword) =>
        IsStructuralKeyword(keyword) || keyword is "XTENSION" or "PCOUNT" or "GCOUNT" or "BSCALE" or "BZERO" or "BLANK" or "EXTNAME" or "EXTTYPE" or "LTV1" or "LTV2";

    /// <summary>The primary celestial WCS keywords of a 2-axis image (CTYPE/CRPIX/CRVAL/CD/PC/CDELT/CROTA2, frame, poles, SIP).</summary>
    internal static bool IsCelestialWcsKeyword(string keyword) => WcsKeyword.IsMatch(keyword);

    private static readonly Regex WcsKeyword = new(@"^(WCSAXES|CTYPE[12]|CRPIX[12]|CRVAL[12]|CUNIT[12]|CDELT[12]|CROTA2|CD[12]_[12]|PC[12]_[12]|RADESYS|RADECSYS|EQUINOX|LONPOLE|LATPOLE|A_ORDER|B_ORDER|AP_ORDER|BP_ORDER|A_\d_\d|B_\d_\d|AP_\d_\d|BP_\d_\d)$",
                                                    RegexOptions.CultureInvariant);

    private static FitsHeader PlaneHeader(string extname, Point2I xy0, IReadOnlyList<FitsCard> celestial)
    {
        var h = new FitsHeader();
        // WCSAXES, when present, must come before the other WCS keywords: the celestial cards go first. The
        // metadata's WCS is in parent pixels; the plane's file pixels start at xy0, so CRPIX moves by -xy0.
        foreach (var c in celestial)
            h.Add(c.Keyword switch
            {
                "CRPIX1" when xy0.X != 0 => FitsCard.Real("CRPIX1", Convert.ToDouble(c.Value, System.Globalization.CultureInfo.InvariantCulture) - xy0.X, c.Comment),
                "CRPIX2" when xy0.Y != 0 => FitsCard.Real("CRPIX2", Convert.ToDouble(c.Value, System.Globalization.CultureInfo.InvariantCulture) - xy0.Y, c.Comment),
                _ => c,
            });
        h.Add(FitsCard.String("EXTTYPE", extname, "afw plane type"));
        h.Add(FitsCard.String("EXTNAME", extname, "plane name"));
        h.Add(FitsCard.Logical("INHERIT", true, "inherit the primary header"));
        h.Add(FitsCard.Integer("LTV1", -xy0.X, "-(x origin) of the image in its parent"));
        h.Add(FitsCard.Integer("LTV2", -xy0.Y, "-(y origin) of the image in its parent"));
        h.Add(FitsCard.String("CTYPE1A", "LINEAR", "pixel coordinate in the parent image"));
        h.Add(FitsCard.String("CTYPE2A", "LINEAR", "pixel coordinate in the parent image"));
        h.Add(FitsCard.Real("CRPIX1A", 1.0));
        h.Add(FitsCard.Real("CRPIX2A", 1.0));
        h.Add(FitsCard.Real("CRVAL1A", xy0.X));
        h.Add(FitsCard.Real("CRVAL2A", xy0.Y));
        h.Add(FitsCard.String("CUNIT1A", "PIXEL"));
        h.Add(FitsCard.String("CUNIT2A", "PIXEL"));
        return h;
    }
}
