using System.Text;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>
/// <see cref="FitsVerifier"/>: the cases issue 17 lists (the lenient reader accepts them, fitsverify does not), clean
/// verdicts on good files, and bounded work on hostile ones.
/// </summary>
public class VerifierTests
{
    /// <summary>A primary HDU with a keyword and two IMAGE extensions, written by <see cref="FitsWriter"/> (with CHECKSUM and DATASUM).</summary>
    internal static byte[] WriterMef()
    {
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mef"))
        {
            var h = new FitsHeader();
            h.Set("OBJECT", "verifier fixture");
            w.WriteEmpty(h);
            var sci = new FitsHeader();
            sci.Set("EXTNAME", "SCI");
            w.WriteImage(sci, new ReadOnlySpan2D<float>(Enumerable.Range(0, 35).Select(i => i * 0.5f).ToArray(), 5, 7));
            var seg = new FitsHeader();
            seg.Set("EXTNAME", "SEG");
            w.WriteImage(seg, new ReadOnlySpan2D<short>(Enumerable.Range(0, 12).Select(i => (short)(i - 6)).ToArray(), 3, 4));
            w.Commit();
        }
        return ms.ToArray();
    }

    internal static FitsVerifyReport Verify(byte[] bytes) => FitsVerifier.Verify(new MemoryStream(bytes, writable: false), "case.fits");

    /// <summary>The lenient reader reads every HDU (what <c>imagecore info</c> did before issue 17).</summary>
    private static void ReaderAccepts(byte[] bytes)
    {
        using var f = new FitsFile(new MemoryStream(bytes, writable: false), "case.fits");
        Assert.NotEmpty(f.Hdus);
    }

    private static (long Header, long Data, long DataBytes)[] Layout(byte[] bytes)
    {
        using var f = new FitsFile(new MemoryStream(bytes, writable: false), "layout.fits");
        return f.Hdus.Select(h => (h.HeaderOffset, h.DataOffset, h.DataBytes)).ToArray();
    }

    /// <summary>The byte offset of the END card of the header at <paramref name="header"/>.</summary>
    private static int EndCard(byte[] bytes, long header)
    {
        for (int at = (int)header; ; at += FitsConstants.CardSize)
            if (Encoding.ASCII.GetString(bytes, at, 8) == "END     ") return at;
    }

    private static void Card(byte[] bytes, int at, string text) =>
        Encoding.ASCII.GetBytes(text.PadRight(FitsConstants.CardSize)).CopyTo(bytes, at);

    [Fact]
    public void Good_files_verify_clean()
    {
        var report = FitsVerifier.Verify(TestData.File("sample-mef.fits"));
        Assert.True(report.Findings.Count == 0, string.Join("\n", report.Findings));
        Assert.Equal(5, report.HduCount);
        var written = Verify(WriterMef());
        Assert.True(written.Findings.Count == 0, string.Join("\n", written.Findings));
        Assert.Equal(3, written.HduCount);
    }

    [Fact]
    public void Stale_checksum_and_datasum_are_reported_as_fitsverify_grades_them()
    {
        byte[] b = WriterMef();
        var sci = Layout(b)[1];
        b[sci.Data + 3] ^= 0x40;                       // one data bit, sums left as written
        ReaderAccepts(b);
        var report = Verify(b);
        var sums = report.Findings.Where(f => f.Hdu == 1).ToList();
        Assert.Contains(sums, f => f.Keyword == "DATASUM" && f.Severity == FitsFindingSeverity.Warning);
        Assert.Contains(sums, f => f.Keyword == "CHECKSUM" && f.Severity == FitsFindingSeverity.Warning);
        Assert.True(report.Conforms);                 // fitsverify: "Data checksum is not consistent", a warning
        Assert.Equal(2, report.WarningCount);

        byte[] h = WriterMef();
        int end = EndCard(h, Layout(h)[2].Header);
        Card(h, end, "OBSERVER= 'added after the sums'");
        Card(h, end + FitsConstants.CardSize, "END");
        var headerOnly = Verify(h);
        Assert.Equal(["CHECKSUM"], headerOnly.Findings.Select(f => f.Keyword));
        Assert.Equal(2, headerOnly.Findings[0].Hdu);
    }

    [Fact]
    public void Undefined_datasum_is_an_error()
    {
        byte[] b = WriterMef();
        var hdu = Layout(b)[1];
        int at = (int)hdu.Header;
        while (Encoding.ASCII.GetString(b, at, 8) != "DATASUM ") at += FitsConstants.CardSize;
        Card(b, at, "DATASUM =");
        var f = Assert.Single(Verify(b).Findings, x => x.Severity == FitsFindingSeverity.Error);
        Assert.Equal("DATASUM", f.Keyword);
    }

    [Theory]
    [InlineData("NAXIS1  =                    7")]
    [InlineData("NAXIS1  =                    8")]
    [InlineData("BITPIX  =                  -32")]
    [InlineData("NAXIS   =                    2")]
    [InlineData("XTENSION= 'IMAGE   '")]
    public void Mandatory_keyword_repeated_after_the_mandatory_block_is_an_error(string card)
    {
        byte[] b = WriterMef();
        int end = EndCard(b, Layout(b)[1].Header);
        Card(b, end, card);
        Card(b, end + FitsConstants.CardSize, "END");
        ReaderAccepts(b);
        var report = Verify(b);
        var f = Assert.Single(report.Findings, x => x.Severity == FitsFindingSeverity.Error);
        Assert.Equal(1, f.Hdu);
        Assert.Equal(card[..8].Trim(), f.Keyword);
        Assert.Equal(end, f.Offset);
        Assert.Contains("duplicated or out of order", f.Message);
    }

    [Fact]
    public void Repeated_ordinary_keyword_is_a_warning()
    {
        byte[] b = WriterMef();
        int end = EndCard(b, Layout(b)[1].Header);
        Card(b, end, "EXTNAME = 'AGAIN'");
        Card(b, end + FitsConstants.CardSize, "END");
        var report = Verify(b);
        Assert.True(report.Conforms);
        Assert.Contains(report.Findings, f => f.Keyword == "EXTNAME" && f.Severity == FitsFindingSeverity.Warning && f.Message.Contains("duplicated"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(80)]
    [InlineData(2000)]
    public void Truncation_inside_the_final_padding_is_an_error(int cut)
    {
        byte[] b = WriterMef();
        var last = Layout(b)[^1];
        Assert.True(b.Length - (last.Data + last.DataBytes) > cut, "the fixture's last HDU has enough padding");
        byte[] t = b[..^cut];
        ReaderAccepts(t);
        var f = Assert.Single(Verify(t).Findings);
        Assert.Equal(FitsFindingSeverity.Error, f.Severity);
        Assert.Equal(2, f.Hdu);
        Assert.Contains("truncated inside the data padding", f.Message);
    }

    [Theory]
    [InlineData(3, 0x00)]
    [InlineData(5, 0x00)]
    [InlineData(40, 0x01)]
    [InlineData(79, 0x7F)]
    [InlineData(20, 0xC3)]
    public void Non_printable_byte_in_the_END_card_is_an_error(int column, int value)
    {
        byte[] b = WriterMef();
        int end = EndCard(b, Layout(b)[0].Header);
        b[end + column] = (byte)value;
        if (column >= 8) ReaderAccepts(b);       // in columns 4-8 the byte hides the END card from the reader too
        var report = Verify(b);
        Assert.False(report.Conforms);
        Assert.Contains(report.Findings, f => f.Severity == FitsFindingSeverity.Error && f.Hdu == 0 && f.Keyword == "END");
    }

    [Fact]
    public void Structure_errors_name_hdu_keyword_and_offset()
    {
        byte[] extra = [.. WriterMef(), .. new byte[100]];
        var trailing = Assert.Single(Verify(extra).Findings);
        Assert.Contains("extra bytes after the last HDU", trailing.Message);
        Assert.Equal(extra.Length - 100, trailing.Offset);

        byte[] fill = WriterMef();
        int end = EndCard(fill, 0);
        fill[end + 200] = (byte)'X';
        Assert.Contains(Verify(fill).Findings, f => f.Hdu == 0 && f.Message.Contains("header fill after the END card"));

        byte[] pad = WriterMef();
        var sci = Layout(pad)[1];
        pad[sci.Data + sci.DataBytes + 10] = 1;
        Assert.Contains(Verify(pad).Findings, f => f.Hdu == 1 && f.Offset == sci.Data + sci.DataBytes + 10 && f.Message.Contains("zeros"));

        byte[] order = WriterMef();
        var seg = Layout(order)[2];
        int pcount = (int)seg.Header + 5 * FitsConstants.CardSize;
        byte[] pc = order[pcount..(pcount + 80)], gc = order[(pcount + 80)..(pcount + 160)];
        gc.CopyTo(order, pcount);
        pc.CopyTo(order, pcount + 80);
        var swapped = Verify(order).Findings.Where(f => f.Severity == FitsFindingSeverity.Error).ToList();
        Assert.Equal(["PCOUNT", "GCOUNT"], swapped.Select(f => f.Keyword));
        Assert.All(swapped, f => Assert.Equal(2, f.Hdu));

        byte[] lower = WriterMef();
        lower[EndCard(lower, 0) - FitsConstants.CardSize + 1] = (byte)'b';   // OBJECT -> ObJECT
        Assert.Contains(Verify(lower).Findings, f => f.Severity == FitsFindingSeverity.Error && f.Message.Contains("keyword name"));
    }

    [Fact]
    public void Hostile_sizes_and_missing_END_do_bounded_work()
    {
        byte[] b = WriterMef();
        var sci = Layout(b)[1];
        Card(b, (int)sci.Header + 3 * FitsConstants.CardSize, "NAXIS1  =          99999999999");
        var huge = Verify(b);
        Assert.Contains(huge.Findings, f => f.Message.StartsWith("truncated: the data unit needs"));

        byte[] noEnd = new byte[3 * FitsConstants.BlockSize];
        Array.Fill(noEnd, (byte)' ');
        Encoding.ASCII.GetBytes("SIMPLE  =                    T").CopyTo(noEnd, 0);
        var report = Verify(noEnd);
        Assert.Contains(report.Findings, f => f.Message.Contains("before the END card"));
        Assert.Contains(Verify([]).Findings, f => f.Message == "the file is empty");
    }
}
