using System.Text;
using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>Finding HDUs by EXTNAME as astropy and cfitsio do (case and trailing blanks ignored), by index without
/// walking further than needed, and reading an HDU's header back as its stored card images.</summary>
public class FitsHduLookupTests
{
    private static byte[] Named(params string[] extnames)
    {
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteEmpty(null);
            foreach (string name in extnames)
            {
                var h = new FitsHeader();
                h.Set("EXTNAME", name);
                w.WriteImage(h, new ReadOnlySpan2D<float>(new float[] { name.Length }, 1, 1));
            }
            w.Commit();
        }
        return ms.ToArray();
    }

    [Theory]
    [InlineData("SEGMENT10")]
    [InlineData("segment10")]
    [InlineData("Segment10")]
    [InlineData("SEGMENT10   ")]
    public void Every_lookup_by_name_ignores_case_and_trailing_blanks(string asked)
    {
        using var f = new FitsFile(new MemoryStream(Named("Segment01", "Segment10")), "mem");
        Assert.Equal(2, f.FindHdu(asked)!.Index);
        Assert.Equal(2, f.GetHdu(asked).Index);
        Assert.Equal(2, f[asked].Index);
        Assert.Equal(2, f.GetHdu(asked, 1).Index);
        Assert.Null(f.FindHdu(asked, 2));
        Assert.Equal("Segment10", f[asked].ExtName);   // the stored spelling is kept
    }

    [Fact]
    public void Leading_blanks_and_other_names_do_not_match()
    {
        using var f = new FitsFile(new MemoryStream(Named("SCI", "SCIX")), "mem");
        Assert.Null(f.FindHdu(" SCI"));   // leading blanks are significant in a FITS string
        Assert.Null(f.FindHdu("SC"));
        Assert.Equal(2, f.GetHdu("scix").Index);
        var e = Assert.Throws<KeyNotFoundException>(() => f["NOPE"]);
        Assert.Contains("mem", e.Message);
        Assert.Contains("'NOPE'", e.Message);
    }

    [Fact]
    public void The_committed_sample_is_found_by_any_spelling()
    {
        using var f = FitsFile.Open(TestData.File("sample-mef.fits"));   // EXTNAME = 'SEGMENT10', 'SCIENCE'
        Assert.Equal(2, f.GetHdu("Segment10").Index);
        Assert.Equal(1, f["science"].Index);
    }

    [Fact]
    public void FindHdu_by_index_walks_only_as_far_as_asked_and_gives_null_past_the_end()
    {
        using var f = new FitsFile(new MemoryStream(Named("A", "B")), "mem");
        Assert.Equal("A", f.FindHdu(1)!.ExtName);
        Assert.Null(f.FindHdu(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.FindHdu(-1));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => f.GetHdu(3));
        Assert.Contains("mem has 3 HDUs; there is no HDU 3", e.Message);
    }

    [Fact]
    public void ReadCardImages_gives_the_stored_cards_with_continue_and_commentary_but_not_end()
    {
        var h = new FitsHeader();
        h.Set("EXTNAME", "Sci");
        h.Set("LONGSTR", new string('x', 100) + " end", "a long one");
        h.AddCommentary("HISTORY", "step 1");
        h.AddCommentary("COMMENT", "a remark");
        h.AddCommentary("", "");
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteImage(h, new ReadOnlySpan2D<short>(new short[6], 3, 2));
            w.Commit();
        }
        byte[] bytes = ms.ToArray();
        using var f = new FitsFile(new MemoryStream(bytes), "mem");
        var images = f.ReadCardImages(f[0]);
        Assert.All(images, c => Assert.Equal(80, c.Length));
        // Exactly the bytes before END, 80 at a time.
        string text = Encoding.ASCII.GetString(bytes, 0, images.Count * 80);
        Assert.Equal(text, string.Concat(images));
        Assert.StartsWith("END     ", Encoding.ASCII.GetString(bytes, images.Count * 80, 80));
        Assert.Equal("SIMPLE  =", images[0][..9]);
        Assert.Contains(images, c => c.StartsWith("CONTINUE  '", StringComparison.Ordinal));
        Assert.Contains("HISTORY step 1".PadRight(80), images);
        Assert.Contains("COMMENT a remark".PadRight(80), images);
        Assert.Contains(new string(' ', 80), images);
        Assert.DoesNotContain(images, c => c.StartsWith("END ", StringComparison.Ordinal));

        using var other = new FitsFile(new MemoryStream(bytes), "other");
        Assert.Throws<ArgumentException>(() => f.ReadCardImages(other[0]));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => f.ReadCardImages(f[0], cts.Token));
    }

    [Fact]
    public void ReadCardImages_reads_headers_longer_than_one_block()
    {
        var h = new FitsHeader();
        for (int i = 0; i < 100; i++) h.Set($"KEY{i}", i);
        using var ms = new MemoryStream();
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteEmpty(null);
            w.WriteEmpty(h);
            w.Commit();
        }
        using var f = new FitsFile(new MemoryStream(ms.ToArray()), "mem");
        var images = f.ReadCardImages(f[1]);
        // XTENSION BITPIX NAXIS PCOUNT GCOUNT, 100 keys, CHECKSUM DATASUM
        Assert.Equal(107, images.Count);
        Assert.StartsWith("KEY99   =", images[104]);
        Assert.StartsWith("DATASUM =", images[^1]);
    }
}
