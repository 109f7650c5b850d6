using System.Runtime.CompilerServices;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Astrometry;

/// <summary>A WCS ImageCore cannot represent (another projection, frame or equinox): reported, never approximated.</summary>
public sealed class UnsupportedWcsException(string source, int hduIndex, string keyword, string problem)
    : NotSupportedException($"{source}, HDU {hduIndex}, {keyword}: {problem}")
{
    /// <summary>What is not supported.</summary>
    public string Problem { get; } = problem;

    /// <summary>The file (or header) the WCS came from.</summary>
    public string File { get; } = source;

    /// <summary>Zero-based HDU index, or -1.</summary>
    public int HduIndex { get; } = hduIndex;

    /// <summary>The keyword that names the unsupported feature.</summary>
    public string Keyword { get; } = keyword;
}

/// <summary>
/// A celestial WCS: the gnomonic (TAN) projection with an optional SIP distortion, in ICRS (or FK5
/// J2000, treated as ICRS).
/// <para><b>Pixel convention</b>, everywhere in ImageCore: 0-based, the centre of the first pixel is
/// (0, 0) (astropy's origin = 0, afw's convention); FITS's CRPIX is 1-based and converted on reading
/// and writing. Sky coordinates are (RA, Dec) in degrees.</para>
/// <para>Pixel to sky: u = x - crpix, v = y - crpix (0-based); with SIP, u += A(u, v), v += B(u, v);
/// intermediate world coordinates (xi, eta) = CD (u, v), degrees; then the TAN deprojection and the
/// rotation to the celestial pole given by CRVAL and LONPOLE (180 unless given), as in Calabretta &amp;
/// Greisen (2002). Sky to pixel inverts each step; the SIP inverse starts from AP/BP when present (else
/// the undistorted position) and is refined by Newton's method on A/B to 1e-12 pixel.</para>
/// </summary>
public sealed class SkyWcs
{
    private const double Deg = Math.PI / 180;
    private readonly double _i11, _i12, _i21, _i22;   // CD^-1
    private readonly double _sinDec0, _cosDec0, _sinLonPole, _cosLonPole;

    /// <summary>A TAN(-SIP) WCS.</summary>
    /// <param name="crpix">Reference pixel, 0-based.</param>
    /// <param name="crval">(RA, Dec) of the reference pixel, degrees.</param>
    /// <param name="cd">CD matrix, degrees per pixel: [0,0] = CD1_1, [0,1] = CD1_2, [1,0] = CD2_1, [1,1] = CD2_2.</param>
    /// <param name="sipA">SIP A (forward, x), or null for none.</param>
    /// <param name="sipB">SIP B (forward, y); given with A.</param>
    /// <param name="sipAp">SIP AP (inverse, x), or null.</param>
    /// <param name="sipBp">SIP BP (inverse, y); given with AP.</param>
    /// <param name="lonPole">LONPOLE, degrees.</param>
    /// <exception cref="ArgumentException">A singular CD matrix, non-finite values, |Dec| &gt; 90, or half a SIP pair.</exception>
    public SkyWcs((double X, double Y) crpix, (double Ra, double Dec) crval, double[,] cd,
                  SipPolynomial? sipA = null, SipPolynomial? sipB = null, SipPolynomial? sipAp = null, SipPolynomial? sipBp = null, double lonPole = 180)
    {
        ArgumentNullException.ThrowIfNull(cd);
        if (cd.GetLength(0) != 2 || cd.GetLength(1) != 2) throw new ArgumentException("CD must be 2 x 2", nameof(cd));
        if (!double.IsFinite(crpix.X) || !double.IsFinite(crpix.Y) || !double.IsFinite(crval.Ra) || !(Math.Abs(crval.Dec) <= 90) || !double.IsFinite(lonPole))
            throw new ArgumentException($"CRPIX ({crpix.X}, {crpix.Y}), CRVAL ({crval.Ra}, {crval.Dec}) and LONPOLE {lonPole} must be finite, |Dec| <= 90");
        if ((sipA is null) != (sipB is null)) throw new ArgumentException("SIP A and B come together");
        if ((sipAp is null) != (sipBp is null)) throw new ArgumentException("SIP AP and BP come together");
        double det = cd[0, 0] * cd[1, 1] - cd[0, 1] * cd[1, 0];
        if (!(Math.Abs(det) > 0) || !double.IsFinite(det)) throw new ArgumentException($"the CD matrix is singular (determinant {det})", nameof(cd));
        double scale = Math.Sqrt(Math.Abs(det));
        if (!(scale >= MinPixelScale && scale <= MaxPixelScale))
            throw new ArgumentException($"the CD matrix gives {scale:G4} degrees per pixel, outside the {MinPixelScale:G2}..{MaxPixelScale:G2} a sky image can have", nameof(cd));
        CrPix = crpix;
        CrVal = crval;
        Cd = (double[,])cd.Clone();
        SipA = sipA;
        SipB = sipB;
        SipAp = sipAp;
        SipBp = sipBp;
        LonPole = lonPole;
        (_i11, _i12, _i21, _i22) = (cd[1, 1] / det, -cd[0, 1] / det, -cd[1, 0] / det, cd[0, 0] / det);
        (_sinDec0, _cosDec0) = Math.SinCos(crval.Dec * Deg);
        (_sinLonPole, _cosLonPole) = lonPole == 180 ? (0.0, -1.0) : Math.SinCos(lonPole * Deg);
    }

    /// <summary>The pixel scale at the reference pixel, arcseconds per pixel (the square root of |det CD|; SIP
    /// distortion, which is zero at the reference pixel, left out).</summary>
    public double PixelScaleArcsec => Math.Sqrt(Math.Abs(Cd[0, 0] * Cd[1, 1] - Cd[0, 1] * Cd[1, 0])) * 3600;

    /// <summary>The smallest pixel scale accepted, in degrees (3.6 micro-arcseconds): a smaller CD matrix is a broken header.</summary>
    public const double MinPixelScale = 1e-9;

    /// <summary>The largest pixel scale accepted, in degrees: a tangent-plane image cannot have larger pixels usefully, and a
    /// larger CD matrix is a broken header.</summary>
    public const double MaxPixelScale = 10;

    /// <summary>How far apart, in pixels, two WCSs of one image may put the same sky position and still be the same WCS.</summary>
    public const double AgreementTolerance = 0.01;

    /// <summary>The largest distance, in pixels, between a pixel of <paramref name="box"/> and where <paramref name="other"/>
    /// puts that pixel's sky position, over a 5 x 5 grid of points spanning the box; +inf where <paramref name="other"/>
    /// cannot place one. Two headers of one image should agree to <see cref="AgreementTolerance"/>.</summary>
    public double MaxPixelDifference(SkyWcs other, Box2I box)
    {
        ArgumentNullException.ThrowIfNull(other);
        double worst = 0;
        for (int j = 0; j < 5; j++)
            for (int i = 0; i < 5; i++)
            {
                double x = box.MinX - 0.5 + box.Width * i / 4.0, y = box.MinY - 0.5 + box.Height * j / 4.0;
                var (ra, dec) = PixelToSky(x, y);
                var (x2, y2) = other.SkyToPixel(ra, dec);
                double d = Math.Sqrt((x2 - x) * (x2 - x) + (y2 - y) * (y2 - y));
                if (!double.IsFinite(d)) return double.PositiveInfinity;
                worst = Math.Max(worst, d);
            }
        return worst;
    }

    /// <summary>Reference pixel, 0-based.</summary>
    public (double X, double Y) CrPix { get; }

    /// <summary>(RA, Dec) at the reference pixel, degrees.</summary>
    public (double Ra, double Dec) CrVal { get; }

    /// <summary>The CD matrix, degrees per pixel (a copy).</summary>
    public double[,] Cd { get; }

    /// <summary>SIP A (forward distortion of x), or null.</summary>
    public SipPolynomial? SipA { get; }

    /// <summary>SIP B (forward distortion of y), or null.</summary>
    public SipPolynomial? SipB { get; }

    /// <summary>SIP AP (inverse distortion of x), or null.</summary>
    public SipPolynomial? SipAp { get; }

    /// <summary>SIP BP (inverse distortion of y), or null.</summary>
    public SipPolynomial? SipBp { get; }

    /// <summary>LONPOLE, degrees (180 for TAN unless the header says otherwise).</summary>
    public double LonPole { get; }

    /// <summary>Whether a SIP distortion is present.</summary>
    public bool HasDistortion => SipA is not null;

    /// <summary>The same transform with pixel (<paramref name="x0"/>, <paramref name="y0"/>) renumbered (0, 0): CRPIX moves
    /// by the opposite amount (a sub-image's file frame, afw's copyAtShiftedPixelOrigin).</summary>
    public SkyWcs WithPixelOrigin(double x0, double y0) =>
        new((CrPix.X - x0, CrPix.Y - y0), CrVal, Cd, SipA, SipB, SipAp, SipBp, LonPole);

    /// <summary>(RA, Dec) in degrees (RA in [0, 360)) of 0-based pixel (x, y).</summary>
    public (double Ra, double Dec) PixelToSky(double x, double y)
    {
        var (xi, eta) = PixelToPlane(x, y);
        // TAN deprojection and the rotation to the celestial frame in one step, through direction cosines
        // (no trigonometry of the native latitude, so no cancellation near the tangent point or the pole).
        double p = xi * _cosLonPole + eta * _sinLonPole, q = xi * _sinLonPole - eta * _cosLonPole;
        double ra = CrVal.Ra * Deg + Math.Atan2(-p, _cosDec0 - q * _sinDec0);
        double dec = Math.Atan2(_sinDec0 + q * _cosDec0, Math.Sqrt(p * p + (_cosDec0 - q * _sinDec0) * (_cosDec0 - q * _sinDec0)));
        double raDeg = ra / Deg % 360;
        if (raDeg < 0) raDeg += 360;
        return (raDeg, dec / Deg);
    }

    /// <summary>The position of 0-based pixel (x, y) on the tangent plane, radians (the intermediate world coordinates
    /// <see cref="PixelToSky(double, double)"/> deprojects), along the axes LONPOLE 180 gives them (east and north at the
    /// reference point).</summary>
    internal (double Xi, double Eta) PixelToPlane(double x, double y)
    {
        double u = x - CrPix.X, v = y - CrPix.Y;
        if (SipA is not null)
        {
            double du = SipA.Evaluate(u, v), dv = SipB!.Evaluate(u, v);
            u += du;
            v += dv;
        }
        return ((Cd[0, 0] * u + Cd[0, 1] * v) * Deg, (Cd[1, 0] * u + Cd[1, 1] * v) * Deg);
    }

    /// <summary>The undistorted offsets from the reference pixel, pixels, of the point at tangent-plane position
    /// (<paramref name="xi"/>, <paramref name="eta"/>), degrees: CD^-1 applied.</summary>
    internal (double U, double V) PlaneToOffset(double xi, double eta) => (_i11 * xi + _i12 * eta, _i21 * xi + _i22 * eta);

    /// <summary>0-based pixel of (RA, Dec) in degrees; (NaN, NaN) for a point 90 degrees or more from the
    /// tangent point, where TAN is undefined.</summary>
    public (double X, double Y) SkyToPixel(double ra, double dec)
    {
        var (up, vp) = SkyToOffset(ra, dec);
        if (SipA is null || double.IsNaN(up)) return (up + CrPix.X, vp + CrPix.Y);
        var (u, v) = UndistortSip(up, vp);
        return (u + CrPix.X, v + CrPix.Y);
    }

    /// <summary>The undistorted offsets from the reference pixel, in pixels, of (RA, Dec) in degrees: what
    /// <see cref="SkyToPixel(double, double)"/> adds CRPIX to when the WCS has no SIP (NaN on the far hemisphere). The
    /// same for every WCS that <see cref="DiffersOnlyInCrPix"/> from this one, so a caller placing the same points on
    /// many such grids (a tract's patches) projects them once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal (double U, double V) SkyToOffset(double ra, double dec)
    {
        var (sinDec, cosDec) = Math.SinCos(dec * Deg);
        var (sinDra, cosDra) = Math.SinCos((ra - CrVal.Ra) * Deg);
        double d = sinDec * _sinDec0 + cosDec * _cosDec0 * cosDra;   // sin(native latitude)
        if (!(d > 0)) return (double.NaN, double.NaN);
        double a = -cosDec * sinDra, b = sinDec * _cosDec0 - cosDec * _sinDec0 * cosDra;
        return PlaneToOffset((b * _sinLonPole + a * _cosLonPole) / d / Deg, -(b * _cosLonPole - a * _sinLonPole) / d / Deg);
    }

    /// <summary>Whether <paramref name="other"/> is this WCS with another reference pixel and neither has SIP (as
    /// <see cref="WithPixelOrigin"/> makes): <see cref="SkyToPixel(double, double)"/> of either is then
    /// <see cref="SkyToOffset"/> of this one plus its own CRPIX, to the bit.</summary>
    internal bool DiffersOnlyInCrPix(SkyWcs other) =>
        SipA is null && other.SipA is null && CrVal == other.CrVal && LonPole.Equals(other.LonPole)
        && Cd[0, 0].Equals(other.Cd[0, 0]) && Cd[0, 1].Equals(other.Cd[0, 1]) && Cd[1, 0].Equals(other.Cd[1, 0]) && Cd[1, 1].Equals(other.Cd[1, 1]);

    /// <summary>Batched <see cref="PixelToSky(double, double)"/>.</summary>
    /// <exception cref="ArgumentException">Spans of different lengths.</exception>
    public void PixelToSky(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> ra, Span<double> dec)
    {
        CheckLengths(x.Length, y.Length, ra.Length, dec.Length);
        for (int i = 0; i < x.Length; i++) (ra[i], dec[i]) = PixelToSky(x[i], y[i]);
    }

    /// <summary>Batched <see cref="SkyToPixel(double, double)"/>.</summary>
    /// <exception cref="ArgumentException">Spans of different lengths.</exception>
    public void SkyToPixel(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, Span<double> x, Span<double> y)
    {
        CheckLengths(ra.Length, dec.Length, x.Length, y.Length);
        for (int i = 0; i < ra.Length; i++) (x[i], y[i]) = SkyToPixel(ra[i], dec[i]);
    }

    /// <summary>Solves u + A(u, v) = up, v + B(u, v) = vp.</summary>
    private (double U, double V) UndistortSip(double up, double vp)
    {
        double u = up, v = vp;
        if (SipAp is not null)
        {
            u = up + SipAp.Evaluate(up, vp);
            v = vp + SipBp!.Evaluate(up, vp);
        }
        for (int iteration = 0; iteration < 50; iteration++)
        {
            var (fa, dadu, dadv) = SipA!.EvaluateWithGradient(u, v);
            var (fb, dbdu, dbdv) = SipB!.EvaluateWithGradient(u, v);
            double ru = u + fa - up, rv = v + fb - vp;
            double j11 = 1 + dadu, j12 = dadv, j21 = dbdu, j22 = 1 + dbdv, det = j11 * j22 - j12 * j21;
            if (!(Math.Abs(det) > 1e-12)) break;
            double du = (j22 * ru - j12 * rv) / det, dv = (-j21 * ru + j11 * rv) / det;
            u -= du;
            v -= dv;
            if (Math.Abs(du) < 1e-12 && Math.Abs(dv) < 1e-12) break;
        }
        return (u, v);
    }

    /// <summary>Reads the celestial WCS of a header: CTYPE RA---TAN / DEC--TAN (or -SIP), CRPIX, CRVAL, and
    /// CD, or PC with CDELT, or CDELT with CROTA2; RADESYS ICRS or FK5 (EQUINOX 2000); LONPOLE; SIP.</summary>
    /// <exception cref="UnsupportedWcsException">Another projection, axis order, frame or equinox.</exception>
    /// <exception cref="FitsFormatException">A keyword is missing or malformed, or the CD matrix is singular.</exception>
    public static SkyWcs FromHeader(FitsHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        string src = header.Source;
        int hdu = header.HduIndex;
        string c1 = header.GetString("CTYPE1", null) ?? throw new FitsFormatException(src, hdu, -1, "CTYPE1", "no CTYPE1: the header has no celestial WCS");
        string c2 = header.GetString("CTYPE2", null) ?? throw new FitsFormatException(src, hdu, -1, "CTYPE2", "no CTYPE2: the header has no celestial WCS");
        c1 = c1.TrimEnd();
        c2 = c2.TrimEnd();
        bool sip = c1.EndsWith("-SIP", StringComparison.Ordinal);
        string p1 = sip ? c1[..^4] : c1, p2 = c2.EndsWith("-SIP", StringComparison.Ordinal) ? c2[..^4] : c2;
        if (p1 != "RA---TAN")
            throw new UnsupportedWcsException(src, hdu, "CTYPE1", $"'{c1}' is not supported: ImageCore reads RA---TAN and RA---TAN-SIP (longitude first)");
        if (p2 != "DEC--TAN")
            throw new UnsupportedWcsException(src, hdu, "CTYPE2", $"'{c2}' is not supported: ImageCore reads DEC--TAN and DEC--TAN-SIP");

        string? frame = header.GetString("RADESYS", null)?.Trim() ?? header.GetString("RADECSYS", null)?.Trim();
        double equinox = header.Contains("EQUINOX") ? header.GetDouble("EQUINOX") : header.Contains("EPOCH") ? header.GetDouble("EPOCH") : double.NaN;
        if (frame is null) frame = double.IsNaN(equinox) || equinox >= 1984 ? "ICRS" : "FK4";
        if (frame is not ("ICRS" or "FK5"))
            throw new UnsupportedWcsException(src, hdu, "RADESYS", $"frame '{frame}' is not supported (ICRS, or FK5 with EQUINOX 2000)");
        if (frame == "FK5" && !double.IsNaN(equinox) && equinox != 2000)
            throw new UnsupportedWcsException(src, hdu, "EQUINOX", $"FK5 equinox {equinox} is not supported (2000 only)");

        double crpix1 = Require(header, "CRPIX1"), crpix2 = Require(header, "CRPIX2");
        double crval1 = Require(header, "CRVAL1"), crval2 = Require(header, "CRVAL2");
        var cd = new double[2, 2];
        if (header.Contains("CD1_1") || header.Contains("CD1_2") || header.Contains("CD2_1") || header.Contains("CD2_2"))
        {
            cd[0, 0] = header.GetDouble("CD1_1", 0);
            cd[0, 1] = header.GetDouble("CD1_2", 0);
            cd[1, 0] = header.GetDouble("CD2_1", 0);
            cd[1, 1] = header.GetDouble("CD2_2", 0);
        }
        else
        {
            double cdelt1 = header.GetDouble("CDELT1", 1), cdelt2 = header.GetDouble("CDELT2", 1);
            if (header.Contains("PC1_1") || header.Contains("PC1_2") || header.Contains("PC2_1") || header.Contains("PC2_2"))
            {
                cd[0, 0] = cdelt1 * header.GetDouble("PC1_1", 1);
                cd[0, 1] = cdelt1 * header.GetDouble("PC1_2", 0);
                cd[1, 0] = cdelt2 * header.GetDouble("PC2_1", 0);
                cd[1, 1] = cdelt2 * header.GetDouble("PC2_2", 1);
            }
            else
            {
                var (s, c) = Math.SinCos(header.GetDouble("CROTA2", 0) * Deg);
                cd[0, 0] = cdelt1 * c;
                cd[0, 1] = -cdelt2 * s;
                cd[1, 0] = cdelt1 * s;
                cd[1, 1] = cdelt2 * c;
            }
        }
        SipPolynomial? a = null, b = null, ap = null, bp = null;
        if (sip)
        {
            a = SipPolynomial.FromHeader(header, "A") ?? throw new FitsFormatException(src, hdu, -1, "A_ORDER", "CTYPE says -SIP but there is no A_ORDER");
            b = SipPolynomial.FromHeader(header, "B") ?? throw new FitsFormatException(src, hdu, -1, "B_ORDER", "CTYPE says -SIP but there is no B_ORDER");
            ap = SipPolynomial.FromHeader(header, "AP");
            bp = SipPolynomial.FromHeader(header, "BP");
            if ((ap is null) != (bp is null)) (ap, bp) = (null, null);   // half an inverse is no inverse: iterate instead
        }
        try
        {
            return new SkyWcs((crpix1 - 1, crpix2 - 1), (crval1, crval2), cd, a, b, ap, bp, header.GetDouble("LONPOLE", 180));
        }
        catch (ArgumentException e)
        {
            throw new FitsFormatException(src, hdu, -1, "CD1_1", e.Message);
        }
    }

    /// <summary>Writes this WCS into <paramref name="header"/> (WCSAXES, CTYPE, CRPIX 1-based, CRVAL, CD, RADESYS ICRS,
    /// LONPOLE when not 180, and SIP), replacing earlier values of those keywords.</summary>
    public void WriteTo(FitsHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        string suffix = HasDistortion ? "-SIP" : "";
        // WCSAXES first: it lets a header without pixels (NAXIS = 0, a raw's primary HDU) carry a 2-axis WCS.
        header.Set("WCSAXES", 2L, "number of WCS axes");
        header.Set("CTYPE1", "RA---TAN" + suffix, "gnomonic projection" + (HasDistortion ? " with SIP distortion" : ""));
        header.Set("CTYPE2", "DEC--TAN" + suffix, "gnomonic projection" + (HasDistortion ? " with SIP distortion" : ""));
        header.Set("CRPIX1", CrPix.X + 1, "reference pixel (1-based)");
        header.Set("CRPIX2", CrPix.Y + 1, "reference pixel (1-based)");
        header.Set("CRVAL1", CrVal.Ra, "[deg] RA at the reference pixel");
        header.Set("CRVAL2", CrVal.Dec, "[deg] Dec at the reference pixel");
        header.Set("CD1_1", Cd[0, 0]);
        header.Set("CD1_2", Cd[0, 1]);
        header.Set("CD2_1", Cd[1, 0]);
        header.Set("CD2_2", Cd[1, 1]);
        header.Set("RADESYS", "ICRS");
        if (LonPole != 180) header.Set("LONPOLE", LonPole);
        SipA?.WriteTo(header, "A");
        SipB?.WriteTo(header, "B");
        SipAp?.WriteTo(header, "AP");
        SipBp?.WriteTo(header, "BP");
    }

    private static double Require(FitsHeader header, string keyword) =>
        header.Contains(keyword) ? header.GetDouble(keyword) : throw new FitsFormatException(header.Source, header.HduIndex, -1, keyword, $"no {keyword}: the celestial WCS is incomplete");

    private static void CheckLengths(int a, int b, int c, int d)
    {
        if (b != a || c != a || d != a) throw new ArgumentException($"spans differ in length: {a}, {b}, {c}, {d}");
    }
}
