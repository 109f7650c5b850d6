using System.Numerics;
using System.Text;
using ImageCore.Fits;

namespace ImageCore.Tests.Fits;

public class HeaderTests
{
    private static FitsHeader Parse(params string[] cards)
    {
        string all = string.Concat(cards.Select(c => c.PadRight(80)));
        byte[] bytes = Encoding.ASCII.GetBytes(all);
        return FitsHeaderParser.Parse(bytes, cards.Length, "test.fits", 3, 0);
    }

    [Fact]
    public void Every_card_form_parses()
    {
        var h = Parse(
            "STR     = 'it''s a test'       / with a comment",
            "EMPTY   = ''",
            "SPACES  = '  lead  '",
            "LOG     =                    T",
            "LOGF    = F / false",
            "INT     =                  -42",
            "BIG     = 123456789012345678901234567890",
            "REAL    =                1.5E3",
            "DEXP    =              -2.5D-3",
            "FREE    = .5",
            "CPLX    = (1.5, -2)",
            "UNDEF   =                      / nothing here",
            "COMMENT   free text, with = signs",
            "HISTORY step one",
            "        blank keyword text",
            "NOVALUE  this card has no value indicator",
            "HIERARCH ESO DET CHIP NAME = 'ccd one' / hierarch",
            "HIERARCH LSST ISR UNITS='electron'");
        Assert.Equal("it's a test", h.GetString("STR"));
        Assert.Equal("with a comment", h.Find("STR")!.Comment);
        Assert.Equal("", h.GetString("EMPTY"));
        Assert.Equal("  lead", h.GetString("SPACES"));
        Assert.True(h.GetBoolean("LOG"));
        Assert.False(h.GetBoolean("LOGF"));
        Assert.Equal(-42, h.GetInt32("INT"));
        Assert.Equal(BigInteger.Parse("123456789012345678901234567890"), h.Find("BIG")!.Value);
        Assert.Throws<FitsFormatException>(() => h.GetInt64("BIG"));
        Assert.Equal(1500.0, h.GetDouble("REAL"));
        Assert.Equal(-2.5e-3, h.GetDouble("DEXP"));
        Assert.Equal(0.5, h.GetDouble("FREE"));
        Assert.Equal(new FitsComplex(1.5, -2), h.GetComplex("CPLX"));
        Assert.Equal(FitsValueKind.Undefined, h.Find("UNDEF")!.Kind);
        Assert.Equal("nothing here", h.Find("UNDEF")!.Comment);
        Assert.Equal(["  free text, with = signs"], h.Commentary("COMMENT"));
        Assert.Equal(["step one"], h.Commentary("HISTORY"));
        Assert.Equal(["blank keyword text"], h.Commentary(""));
        Assert.Equal(FitsValueKind.Commentary, h[15].Kind);
        Assert.Equal("ccd one", h.GetString("ESO DET CHIP NAME"));
        Assert.Equal("electron", h.GetString("LSST ISR UNITS"));
    }

    [Fact]
    public void Long_strings_join_continue_cards()
    {
        var h = Parse(
            "LONG    = 'first part &'",
            "CONTINUE  'second ''quoted'' part&' / c1",
            "CONTINUE  'end' / c2",
            "NEXT    = 1");
        Assert.Equal("first part second 'quoted' partend", h.GetString("LONG"));
        Assert.Equal("c1 c2", h.Find("LONG")!.Comment);
        Assert.Equal(2, h.Count);
    }

    [Fact]
    public void A_blank_before_the_continuation_ampersand_is_part_of_the_value()
    {
        // FITS 4.0 4.2.1.2: only the '&' is dropped. (astropy 5.2 also drops the blank before it.)
        var h = Parse("LONG    = 'two words &'", "CONTINUE  'here'");
        Assert.Equal("two words here", h.GetString("LONG"));
    }

    [Theory]
    [InlineData(0), InlineData(1), InlineData(8), InlineData(67), InlineData(68), InlineData(69), InlineData(200), InlineData(1000)]
    public void Strings_of_any_length_round_trip_through_card_images(int length)
    {
        var rng = new Random(length);
        string value = new(Enumerable.Range(0, length).Select(_ => "ab'c &"[rng.Next(6)]).ToArray());
        value = value.TrimEnd(' ');
        var card = FitsCard.String("KEY", value, "a comment");
        var images = FitsCardFormat.Format(card);
        Assert.All(images, i => Assert.Equal(80, i.Length));
        var h = Parse([.. images]);
        Assert.Equal(value, h.GetString("KEY"));
        Assert.Equal(1, h.Count);
    }

    [Theory]
    [InlineData(0.1), InlineData(-1.5e-300), InlineData(6.02214076e23), InlineData(1.0), InlineData(-0.0), InlineData(double.Epsilon), InlineData(double.MaxValue), InlineData(123456789.123456789)]
    public void Reals_round_trip_exactly(double v)
    {
        var image = FitsCardFormat.Format(FitsCard.Real("X", v))[0];
        Assert.Equal(v, Parse(image).GetDouble("X"));
        Assert.Matches(@"^X       = +[-0-9.E+]+ *$", image);
    }

    [Fact]
    public void Every_value_kind_round_trips_through_card_images()
    {
        var h = new FitsHeader();
        h.Set("S", "x'y", "c");
        h.Set("B", true);
        h.Set("I", long.MinValue);
        h.Set("U", ulong.MaxValue);
        h.Set("R", 2.5e-10);
        h.Set("C", new FitsComplex(-1e10, 3));
        h.Set("N", null, "undefined");
        h.AddCommentary("COMMENT", "hello");
        h.AddCommentary("HISTORY", "world");
        h.Set("VERY LONG HIERARCH KEYWORD", 17.25, "hierarchical");
        var images = h.SelectMany(FitsCardFormat.Format).ToArray();
        var back = Parse(images);
        Assert.Equal(h.Count, back.Count);
        for (int i = 0; i < h.Count; i++)
        {
            Assert.Equal(h[i].Keyword, back[i].Keyword);
            Assert.Equal(h[i].Kind, back[i].Kind);
            Assert.Equal(h[i].Value, back[i].Value);
            Assert.Equal(h[i].Comment, back[i].Comment);
        }
    }

    [Theory]
    [InlineData("STR     = 'unterminated")]
    [InlineData("NUM     = 1.2.3")]
    [InlineData("NUM     = 12abc")]
    [InlineData("NUM     = E5")]
    [InlineData("CPLX    = (1, 2")]
    [InlineData("lower   = 1")]
    [InlineData("STR     = 'a' junk")]
    [InlineData("BIGEXP  = 1E999")]
    public void Malformed_cards_name_file_hdu_keyword_and_offset(string card)
    {
        var e = Assert.Throws<FitsFormatException>(() => Parse("OK      = 1", card));
        Assert.Equal("test.fits", e.File);
        Assert.Equal(3, e.HduIndex);
        Assert.Equal(80, e.Offset);
        Assert.Contains("test.fits, HDU 3", e.Message);
    }

    [Fact]
    public void Typed_getters_name_the_keyword_on_errors()
    {
        var h = Parse("A       = 'text'");
        var missing = Assert.Throws<FitsFormatException>(() => h.GetInt32("B"));
        Assert.Equal("B", missing.Keyword);
        Assert.Contains("missing", missing.Message);
        var wrong = Assert.Throws<FitsFormatException>(() => h.GetDouble("A"));
        Assert.Contains("keyword A", wrong.Message);
        Assert.Equal(5, h.GetInt64("B", 5));
    }

    [Fact]
    public void Non_ascii_header_bytes_are_rejected()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("A       = 1".PadRight(80));
        bytes[20] = 0xE9;
        var e = Assert.Throws<FitsFormatException>(() => FitsHeaderParser.Parse(bytes, 1, "x.fits", 0, 2880));
        Assert.Equal(2900, e.Offset);
    }

    [Fact]
    public void Checksum_encoding_matches_the_standard_example()
    {
        // FITS 4.0 appendix J / Seaman et al.: an HDU whose sum is 0x0 encodes ~0 = 0xFFFFFFFF
        // (all characters '0' + remainder) and a complemented sum round-trips to -0.
        foreach (uint sum in new uint[] { 0, 1, 0x12345678, 0xFFFFFFFE, 0x80000000 })
        {
            string enc = FitsChecksum.Encode(sum);
            Assert.Equal(16, enc.Length);
            Assert.All(enc, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
            // Adding the encoded words (rotated back into place) to the sum gives -0.
            byte[] bytes = Encoding.ASCII.GetBytes(enc[1..] + enc[0]);
            byte[] zeros = Encoding.ASCII.GetBytes(new string('0', 16));
            ulong acc = ImageCore.Simd.OnesComplementSum.Add(0, bytes);
            ulong z = ImageCore.Simd.OnesComplementSum.Add(0, zeros);
            // The encoding replaces the placeholder '0000000000000000': sum - zeros + encoded = ~0.
            uint total = ImageCore.Simd.OnesComplementSum.Combine(sum, ImageCore.Simd.OnesComplementSum.Fold(acc));
            uint zerosSum = ImageCore.Simd.OnesComplementSum.Fold(z);
            Assert.Equal(ImageCore.Simd.OnesComplementSum.Combine(0xFFFFFFFFu, zerosSum), total);
        }
    }
}
