using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Psf;

namespace ImageCore.Images;

/// <summary>
/// A <see cref="MaskedImage"/> with what describes it (afw's Exposure): its celestial <see cref="Wcs"/>, its
/// <see cref="Band"/>, pixel <see cref="Units"/>, <see cref="VisitInfo"/>, and every other metadata card.
/// <para><b>One source of truth.</b> The typed properties are kept in <see cref="Metadata"/> under their FITS keywords
/// (the celestial WCS cards, <c>BAND</c>, <c>BUNIT</c>, the <see cref="Images.VisitInfo"/> keywords): reading a
/// property reads the cards, and setting it rewrites them, so what <see cref="ExposureFits.Write(string, Exposure)"/>
/// writes is always what the properties say. Change the WCS through <see cref="Wcs"/> (it is parsed once and kept),
/// not by editing its cards.</para>
/// <para><b>Coordinates.</b> <see cref="BBox"/> and <see cref="Wcs"/> are in parent pixel coordinates (xy0 included,
/// 0-based, pixel centres at integers); <c>MaskedImage.Image[x, y]</c> indexes by parent coordinates, while
/// <c>Image.Pixels[row, column]</c> is the plane's own (local) row-major view.</para>
/// <para><b>Ownership.</b> The exposure owns its planes: <see cref="Dispose"/> returns them to their pool, after which
/// no view of them may be used. An exposure may be read from several threads at once; writing pixels from several
/// threads is safe for disjoint rows; setting properties is not thread-safe.</para>
/// <para><b>PSF.</b> <see cref="Psf"/>, the model the characterize step measures, is kept beside the metadata (not in
/// its cards) and written as the file's <c>PSF</c> extension (<see cref="PsfFits"/>).</para>
/// </summary>
public sealed class Exposure : IDisposable
{
    private SkyWcs? _wcs;
    private bool _wcsRead;
    private UnsupportedWcsException? _unsupportedWcs;

    /// <summary>Wraps a masked image (ownership passes) with metadata (a new empty header when null) and a WCS.</summary>
    /// <param name="maskedImage">The pixels, mask and variance; the exposure owns them from now on.</param>
    /// <param name="metadata">Metadata cards (the exposure keeps this header, not a copy).</param>
    /// <param name="wcs">The celestial WCS in parent pixels; when null, the WCS the metadata's cards describe (if any),
    /// parsed when <see cref="Wcs"/> is first read.</param>
    public Exposure(MaskedImage maskedImage, FitsHeader? metadata = null, SkyWcs? wcs = null)
    {
        MaskedImage = maskedImage ?? throw new ArgumentNullException(nameof(maskedImage));
        Metadata = metadata ?? new FitsHeader();
        if (wcs is not null) Wcs = wcs;
    }

    /// <summary>The pixels, mask and variance.</summary>
    public MaskedImage MaskedImage { get; }

    /// <summary>The image plane (shorthand for <c>MaskedImage.Image</c>).</summary>
    public Image<float> Image => MaskedImage.Image;

    /// <summary>The mask plane (shorthand for <c>MaskedImage.Mask</c>).</summary>
    public Mask Mask => MaskedImage.Mask;

    /// <summary>The variance plane (shorthand for <c>MaskedImage.Variance</c>).</summary>
    public Image<float> Variance => MaskedImage.Variance;

    /// <summary>Metadata cards (written to the primary HDU), the typed properties' cards included.</summary>
    public FitsHeader Metadata { get; }

    /// <summary>The exposure's box in parent coordinates.</summary>
    public Box2I BBox => MaskedImage.BBox;

    /// <summary>The celestial WCS, parent pixel coordinates; null when the exposure has none. Setting it replaces the
    /// metadata's celestial WCS cards (null removes them).</summary>
    /// <exception cref="FitsFormatException">Reading: the metadata's WCS cards are malformed (the message names the keyword).</exception>
    /// <exception cref="UnsupportedWcsException">Reading: the metadata describe a projection or frame ImageCore does not read.</exception>
    public SkyWcs? Wcs
    {
        get
        {
            if (_unsupportedWcs is not null) throw new UnsupportedWcsException(_unsupportedWcs.File, _unsupportedWcs.HduIndex, _unsupportedWcs.Keyword, _unsupportedWcs.Problem);
            if (!_wcsRead)
            {
                _wcs = Metadata.Contains("CTYPE1") ? SkyWcs.FromHeader(Metadata) : null;
                _wcsRead = true;
            }
            return _wcs;
        }
        set
        {
            // The new WCS's cards replace the old ones where they stand (so that cards keep their order); old celestial
            // WCS cards it does not write (PC, CDELT, another SIP order) go.
            var written = new FitsHeader();
            value?.WriteTo(written);
            var keep = written.Select(c => c.Keyword).ToHashSet(StringComparer.Ordinal);
            foreach (string keyword in Metadata.Where(c => c.Kind != FitsValueKind.Commentary && ExposureFits.IsCelestialWcsKeyword(c.Keyword) && !keep.Contains(c.Keyword))
                                               .Select(c => c.Keyword).Distinct().ToList())
                Metadata.Remove(keyword);
            value?.WriteTo(Metadata);
            (_wcs, _wcsRead, _unsupportedWcs) = (value, true, null);
        }
    }

    /// <summary>Marks the WCS its file gave as one ImageCore does not read: the pixels stay usable, and reading
    /// <see cref="Wcs"/> throws what reading the WCS threw.</summary>
    internal void SetUnsupportedWcs(UnsupportedWcsException e) => (_wcs, _wcsRead, _unsupportedWcs) = (null, true, e);

    /// <summary>The filter band (<c>BAND</c>: u, g, r, i, z, y), or null.</summary>
    public string? Band
    {
        get => Metadata.GetString("BAND", null)?.Trim();
        set
        {
            if (value is null) Metadata.Remove("BAND");
            else Metadata.Set("BAND", value, "filter band");
        }
    }

    /// <summary>The pixel units (<c>BUNIT</c>, else ip_isr's <c>LSST ISR UNITS</c>): <c>electron</c> after ISR with gain
    /// applied, <c>adu</c> without; null when unknown. Setting it writes <c>BUNIT</c>.</summary>
    public string? Units
    {
        get => (Metadata.GetString("BUNIT", null) ?? Metadata.GetString("LSST ISR UNITS", null))?.Trim();
        set
        {
            if (value is null) Metadata.Remove("BUNIT");
            else Metadata.Set("BUNIT", value, "pixel units");
        }
    }

    /// <summary>The observation this exposure came from, or null when the metadata say nothing of it. Setting it
    /// rewrites the <see cref="Images.VisitInfo.Keywords"/> (null removes them).</summary>
    /// <exception cref="FitsFormatException">Reading: a visit keyword holds a value of the wrong type.</exception>
    public VisitInfo? VisitInfo
    {
        get => VisitInfo.FromMetadata(Metadata);
        set => (value ?? new VisitInfo()).WriteTo(Metadata);
    }

    /// <summary>The PSF model, parent pixel coordinates; null when the exposure has none (before characterization).
    /// <see cref="ExposureFits"/> writes it as the <c>PSF</c> extension after VARIANCE and reads it back.</summary>
    public IPsf? Psf { get; set; }

    /// <summary>Returns all planes to their pool.</summary>
    public void Dispose() => MaskedImage.Dispose();
}
