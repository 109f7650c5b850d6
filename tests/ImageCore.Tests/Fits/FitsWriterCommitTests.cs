using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Memory;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Fits;

/// <summary>What a <see cref="FitsWriter"/> leaves on disk: a complete file after a commit, nothing otherwise, and
/// never an exception from disposal in place of the one that unwound it.</summary>
public class FitsWriterCommitTests
{
    private static readonly float[] Four = [1, 2, 3, 4];

    private static string[] Entries(TempDir dir) => Directory.GetFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).Order().ToArray();

    [Fact]
    public void Forgetting_Commit_leaves_no_file_and_no_temporary()
    {
        using var dir = new TempDir();
        string path = dir.File("forgot.fits");
        using (var w = FitsWriter.Create(path))
        {
            w.WriteImage(null, new ReadOnlySpan2D<float>(Four, 2, 2));
            Assert.Single(Entries(dir));   // the hidden temporary while writing
            Assert.False(w.IsCommitted);
        }
        Assert.Empty(Entries(dir));
    }

    [Fact]
    public void Dispose_never_hides_the_exception_that_unwound_the_using()
    {
        using var dir = new TempDir();
        string path = dir.File("boom.fits");
        var e = Assert.Throws<InvalidDataException>(new Action(() =>
        {
            using var w = FitsWriter.Create(path);
            w.WriteEmpty(null);
            throw new InvalidDataException("boom");
        }));
        Assert.Equal("boom", e.Message);
        Assert.Empty(Entries(dir));

        // A temporary deleted behind the writer's back: disposal still does not throw.
        var w2 = FitsWriter.Create(path);
        w2.WriteEmpty(null);
        foreach (string f in Directory.GetFiles(dir.Path)) File.Delete(f);
        w2.Dispose();
        w2.Dispose();
    }

    [Fact]
    public void Write_commits_when_the_action_returns_and_leaves_nothing_when_it_throws()
    {
        using var dir = new TempDir();
        string path = dir.File("scoped.fits");
        FitsWriter.Write(path, w =>
        {
            w.WriteEmpty(null);
            var h = new FitsHeader();
            h.Set("EXTNAME", "SCI");
            w.WriteImage(h, new ReadOnlySpan2D<float>(Four, 2, 2));
        });
        using (var f = FitsFile.Open(path))
        {
            Assert.Equal(2, f.Hdus.Count);
            Assert.True(f.VerifyChecksum(f["SCI"]).IsValid);
        }

        string failed = dir.File("failed.fits");
        Assert.Throws<InvalidDataException>(() => FitsWriter.Write(failed, w =>
        {
            w.WriteEmpty(null);
            throw new InvalidDataException("the action failed");
        }));
        Assert.Equal(["scoped.fits"], Entries(dir));

        // An action that commits itself is fine; one that writes nothing is told so.
        FitsWriter.Write(dir.File("self.fits"), w =>
        {
            w.WriteEmpty(null);
            w.Commit();
        });
        Assert.True(File.Exists(dir.File("self.fits")));
        var nothing = Assert.Throws<InvalidOperationException>(() => FitsWriter.Write(dir.File("nothing.fits"), _ => { }));
        Assert.Contains("at least a primary HDU", nothing.Message);
        Assert.False(File.Exists(dir.File("nothing.fits")));
    }

    [Fact]
    public void Write_refuses_an_existing_file_unless_overwrite_is_true()
    {
        using var dir = new TempDir();
        string path = dir.File("kept.fits");
        File.WriteAllText(path, "keep me");
        var e = Assert.Throws<IOException>(() => FitsWriter.Write(path, w => w.WriteEmpty(null)));
        Assert.Contains(path, e.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
        FitsWriter.Write(path, w => w.WriteEmpty(null), overwrite: true);
        Assert.Equal(2880, new FileInfo(path).Length);
        Assert.Equal(["kept.fits"], Entries(dir));
    }

    [Fact]
    public void A_file_that_appears_during_a_write_without_overwrite_is_left_alone()
    {
        using var dir = new TempDir();
        string path = dir.File("race.fits");
        using (var w = FitsWriter.Create(path, overwrite: false))
        {
            w.WriteEmpty(null);
            File.WriteAllText(path, "someone else's");
            var e = Assert.Throws<IOException>(w.Commit);
            Assert.Contains(path, e.Message);
            Assert.False(w.IsCommitted);
            Assert.Throws<InvalidOperationException>(w.Commit);
        }
        Assert.Equal("someone else's", File.ReadAllText(path));
        Assert.Equal(["race.fits"], Entries(dir));

        // Create(path) keeps replacing, as it always has.
        using (var w = FitsWriter.Create(path))
        {
            w.WriteEmpty(null);
            w.Commit();
            Assert.True(w.IsCommitted);
        }
        Assert.Equal(2880, new FileInfo(path).Length);
    }

    [Fact]
    public void Cancelling_the_scoped_write_between_hdus_leaves_nothing()
    {
        using var dir = new TempDir();
        string path = dir.File("cancel.fits");
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => FitsWriter.Write(path, w =>
        {
            w.WriteEmpty(null);
            cts.Cancel();
            w.WriteImage(null, new ReadOnlySpan2D<float>(Four, 2, 2));   // no token passed: the scope's is checked
        }, cancel: cts.Token));
        Assert.Empty(Entries(dir));
    }

    [Fact]
    public void A_write_cancelled_inside_an_hdu_poisons_the_writer()
    {
        using var cts = new CancellationTokenSource();
        using var stream = new CancelOnWrite(cts, writes: 2);   // the header, then the first chunk of pixels
        var w = new FitsWriter(stream, "mem");
        var pixels = new float[1024 * 512];   // 2 MiB: four chunks
        Assert.ThrowsAny<OperationCanceledException>(() => w.WriteImage(null, new ReadOnlySpan2D<float>(pixels, 512, 1024), cancel: cts.Token));
        var e = Assert.Throws<InvalidOperationException>(w.Commit);
        Assert.Contains("earlier write failed or was cancelled", e.Message);
        Assert.Throws<InvalidOperationException>(() => w.WriteEmpty(null));
        w.Dispose();
    }

    [Fact]
    public void Bad_options_do_not_poison_the_writer()
    {
        using var ms = new MemoryStream();
        using var w = new FitsWriter(ms, "mem");
        Assert.Throws<ArgumentException>(() => w.WriteImage(null, new ReadOnlySpan2D<float>(Four, 2, 2), new FitsImageOptions { BScale = 2 }));
        w.WriteImage(null, new ReadOnlySpan2D<float>(Four, 2, 2));
        w.Commit();
        Assert.Equal(5760, ms.Length);
    }

    [Fact]
    public void WriteImage_infers_its_type_from_planes_and_writable_views()
    {
        using var ms = new MemoryStream();
        using var plane = new Plane<int>(3, 2);
        plane[2, 1] = 42;
        var shorts = new short[] { 1, 2, 3, 4 };
        using (var w = new FitsWriter(ms, "mem"))
        {
            w.WriteImage(null, plane);
            w.WriteImage(null, new Span2D<short>(shorts, 2, 2));
            w.WriteImage(null, plane.AsSpan2D());
            w.Commit();
        }
        ms.Position = 0;
        using var f = new FitsFile(ms, "mem");
        Assert.Equal([32, 16, 32], f.Hdus.Select(h => h.Bitpix));
        using var back = f.ReadImage<int>(f[0]);
        Assert.Equal(42, back[2, 1]);
    }

    /// <summary>A memory stream that cancels a token at its n-th write.</summary>
    private sealed class CancelOnWrite(CancellationTokenSource cts, int writes) : MemoryStream
    {
        private int _writes;

        public override void Write(byte[] buffer, int offset, int count)
        {
            base.Write(buffer, offset, count);
            if (++_writes == writes) cts.Cancel();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);
    }
}
