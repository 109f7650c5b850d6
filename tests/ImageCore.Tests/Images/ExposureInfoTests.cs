using ImageCore.Astrometry;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Images;

/// <summary>An exposure's typed description (WCS, band, units, visit) is kept in its metadata cards, read back from files
/// written by ImageCore or afw-style files carrying the WCS only in the IMAGE HDU.</summary>
public class ExposureInfoTests
{
    private static Exposure Make(FitsHeader? metadata = null, SkyWcs? wcs = null, Point2I xy0 = default)
    {
        var mi = new MaskedImage(20, 10, xy0);
        mi.Image.Pixels.Fill(1f);
        return new Exposure(mi, metadata, wcs);
    }

    [Fact]
    public void Typed_properties_read_and_write_their_cards()
    {
        using var e = Make();
        Assert.Null(e.Wcs);
        Assert.Null(e.Band);
        Assert.Null(e.Units);
        Assert.Null(e.VisitInfo);

        e.Wcs = TestWcs.Tan(3, 4);
        e.Band = "r";
        e.Units = "electron";
        e.VisitInfo = new VisitInfo { Visit = 42, ExposureTime = 30, MjdObs = 61000.5, BoresightRa = 150, BoresightDec = 2 };
        Assert.Equal(4.0 + 1, e.Metadata.GetDouble("CRPIX2"));
        Assert.Equal("r", e.Metadata.GetString("BAND"));
        Assert.Equal("electron", e.Metadata.GetString("BUNIT"));
        Assert.Equal(42, e.Metadata.GetInt64("VISIT"));
        Assert.Equal(new VisitInfo { Visit = 42, ExposureTime = 30, MjdObs = 61000.5, BoresightRa = 150, BoresightDec = 2 }, e.VisitInfo);

        e.Wcs = null;
        e.VisitInfo = null;
        Assert.False(e.Metadata.Contains("CTYPE1"));
        Assert.False(e.Metadata.Contains("CD1_1"));
        Assert.False(e.Metadata.Contains("VISIT"));
        Assert.Null(e.Wcs);
    }

    [Fact]
    public void The_wcs_comes_from_the_metadata_when_not_given_and_isr_units_are_understood()
    {
        var md = TestWcs.Header(5, 6);
        md.Set("LSST ISR UNITS", "electron");
        md.Set("DATE-OBS", "2026-01-01T12:00:00");
        using var e = Make(md);
        Assert.Equal((5.0, 6.0), e.Wcs!.CrPix);
        Assert.Equal("electron", e.Units);
        Assert.Equal(61041.5, e.VisitInfo!.MjdObs!.Value, 9);
    }

    [Fact]
    public void Wrongly_typed_visit_cards_name_the_keyword()
    {
        var md = new FitsHeader("x.fits", 0);
        md.Set("EXPTIME", "thirty");
        using var e = Make(md);
        var ex = Assert.Throws<FitsFormatException>(() => e.VisitInfo);
        Assert.Contains("EXPTIME", ex.Message);
    }

    [Fact]
    public void A_written_exposure_reads_back_with_its_description()
    {
        using var dir = new TempDir();
        string path = dir.File("e.fits");
        using (var e = Make(wcs: TestWcs.Tan(10, 10), xy0: new Point2I(100, 50)))
        {
            e.Band = "i";
            e.Units = "electron";
            e.VisitInfo = new VisitInfo { Visit = 7, ExposureTime = 15, Airmass = 1.2 };
            ExposureFits.Write(path, e);
        }
        using var back = ExposureFits.Read(path);
        Assert.Equal(new Box2I(100, 50, 20, 10), back.BBox);
        Assert.Equal(0, back.Wcs!.MaxPixelDifference(TestWcs.Tan(10, 10), back.BBox), 6);
        Assert.Equal("i", back.Band);
        Assert.Equal("electron", back.Units);
        Assert.Equal(new VisitInfo { Visit = 7, ExposureTime = 15, Airmass = 1.2 }, back.VisitInfo);
    }

    [Fact]
    public void A_wcs_only_in_the_image_hdu_is_read_as_afw_writes_it()
    {
        // afw writes the WCS into the IMAGE HDU (in that HDU's pixels: CRPIX moved by -xy0) and not into the primary.
        using var dir = new TempDir();
        string path = dir.File("afw.fits");
        var xy0 = new Point2I(30, 40);
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(new FitsHeader());
            foreach (string plane in new[] { "IMAGE", "MASK", "VARIANCE" })
            {
                var h = new FitsHeader();
                TestWcs.Tan(10 - xy0.X, 10 - xy0.Y).WriteTo(h);
                h.Set("EXTNAME", plane);
                h.Set("LTV1", (long)-xy0.X);
                h.Set("LTV2", (long)-xy0.Y);
                if (plane == "MASK") w.WriteImage<int>(h, new int[6, 8]);
                else w.WriteImage<float>(h, new float[6, 8]);
            }
            w.Commit();
        }
        using var e = ExposureFits.Read(path);
        Assert.Equal(0, e.Wcs!.MaxPixelDifference(TestWcs.Tan(10, 10), e.BBox), 6);
        Assert.True(e.Metadata.Contains("CTYPE1"));   // kept in the metadata from now on
    }

    [Fact]
    public void An_unsupported_wcs_leaves_the_pixels_readable_and_says_so_when_asked()
    {
        using var dir = new TempDir();
        string path = dir.File("zpn.fits");
        var md = TestWcs.Header();
        md.Set("CTYPE1", "RA---ZPN");
        md.Set("CTYPE2", "DEC--ZPN");
        using (var e = Make(md)) ExposureFits.Write(path, e);
        using var back = ExposureFits.Read(path);
        Assert.Equal(1f, back.Image[0, 0]);
        Assert.Throws<UnsupportedWcsException>(() => back.Wcs);
    }

    [Fact]
    public void Mask_count_counts_pixels_with_any_named_bit()
    {
        using var e = Make();
        int noData = e.Mask.GetBitMask("NO_DATA"), sat = e.Mask.GetBitMask("SAT");
        e.Mask.Image.Pixels[0, 0] = noData;
        e.Mask.Image.Pixels[1, 1] = noData | sat;
        e.Mask.Image.Pixels[2, 2] = sat;
        Assert.Equal(2, e.Mask.Count("NO_DATA"));
        Assert.Equal(3, e.Mask.Count("NO_DATA", "SAT"));
        Assert.Throws<KeyNotFoundException>(() => e.Mask.Count("NOPE"));
    }
}
