using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Isr;
using ImageCore.Memory;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Isr;

public class RawAssemblyTests
{
    /// <summary>A value that says which segment and which file pixel it came from (exact in float32).</summary>
    private static int Tag(int amp, int x, int y) => (x * 31 + y * 17 + amp * 7919) % 65536;

    private static string WriteRaw(TempDir dir, Detector det, Action<FitsHeader>? primary = null)
    {
        var segments = new List<Plane<int>>();
        try
        {
            for (int a = 0; a < 16; a++)
            {
                var p = new Plane<int>(det.Layout.RawWidth, det.Layout.RawHeight);
                for (int y = 0; y < p.Height; y++)
                {
                    var row = p.GetRowSpan(y);
                    for (int x = 0; x < p.Width; x++) row[x] = Tag(a, x, y);
                }
                segments.Add(p);
            }
            var h = new FitsHeader();
            h.Set("EXPTIME", 30.0);
            primary?.Invoke(h);
            string path = dir.File($"raw-{det.Name}.fits");
            RawFile.Write(path, det, h, segments);
            return path;
        }
        finally
        {
            segments.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [InlineData("R22_S11")]   // e2v: bottom row not flipped
    [InlineData("R01_S00")]   // ITL: bottom row flipped in x
    public void Every_file_pixel_lands_where_the_camera_says(string name)
    {
        var det = CameraModel.LsstCam[name];
        using var dir = new TempDir();
        string path = WriteRaw(dir, det);
        using var f = FitsFile.Open(path);
        using var untrimmed = RawAssembly.ReadUntrimmed(f, det);
        var rng = new Random(3);
        for (int a = 0; a < 16; a++)
        {
            var amp = det.Amplifiers[a];
            for (int k = 0; k < 2000; k++)
            {
                int x = rng.Next(det.Layout.RawWidth), y = rng.Next(det.Layout.RawHeight);
                int ax = amp.RawXYOffset.X + (amp.FlipX ? det.Layout.RawWidth - 1 - x : x);
                int ay = amp.RawXYOffset.Y + (amp.FlipY ? det.Layout.RawHeight - 1 - y : y);
                Assert.Equal(Tag(a, x, y), untrimmed[ax, ay]);
            }
            // The file's data section lands exactly on RawDataBBox (corner pixels of DATASEC).
            var d = det.Layout.Data;
            int cx = amp.FlipX ? amp.RawDataBBox.MaxX : amp.RawDataBBox.MinX, cy = amp.FlipY ? amp.RawDataBBox.MaxY : amp.RawDataBBox.MinY;
            Assert.Equal(Tag(a, d.MinX, d.MinY), untrimmed[cx, cy]);
        }
        using var trimmed = RawAssembly.Trim(untrimmed, det);
        Assert.Equal(det.BBox, trimmed.BBox);
        foreach (var amp in det.Amplifiers)
            for (int k = 0; k < 500; k++)
            {
                int dx = rng.Next(amp.BBox.Width), dy = rng.Next(amp.BBox.Height);
                Assert.Equal(untrimmed[amp.RawDataBBox.MinX + dx, amp.RawDataBBox.MinY + dy], trimmed[amp.BBox.MinX + dx, amp.BBox.MinY + dy]);
            }
    }

    [SkippableFact]
    public void Raw_files_pass_fitsverify_and_their_sections_agree_with_the_camera()
    {
        var det = CameraModel.LsstCam["R01_S00"];
        using var dir = new TempDir();
        string path = WriteRaw(dir, det);
        Peers.AssertFitsverifyClean(path);
        using var f = FitsFile.Open(path);
        Assert.Equal(17, f.Hdus.Count);
        Assert.Equal("R01_S00", f[0].Header.GetString("DETNAME"));
        for (int i = 0; i < 16; i++)
        {
            var amp = det.Amplifiers[i];
            var h = f[i + 1].Header;
            Assert.Equal(amp.ExtName, h.GetString("EXTNAME"));
            Assert.Equal(det.Layout.Data, IrafSection.Parse(h.GetString("DATASEC")).Box);
            Assert.Equal(det.Layout.SerialOverscan, IrafSection.Parse(h.GetString("BIASSEC")).Box);
            var detsec = IrafSection.Parse(h.GetString("DETSEC"));
            Assert.Equal((amp.BBox, amp.FlipX, amp.FlipY), (detsec.Box, detsec.FlipX, detsec.FlipY));
        }
        Assert.Equal("[509:1,1:2000]", f[16].Header.GetString("DETSEC"));   // ITL C00: bottom-left, x mirrored
        Assert.Equal("[4:512,1:2000]", f[16].Header.GetString("DATASEC"));
    }

    [Fact]
    public void A_raw_from_another_vendor_is_refused_naming_the_keyword()
    {
        using var dir = new TempDir();
        string path = WriteRaw(dir, CameraModel.LsstCam["R01_S00"]);   // ITL sections
        using var f = FitsFile.Open(path);
        var e = Assert.Throws<FitsFormatException>(() => RawAssembly.ReadUntrimmed(f, CameraModel.LsstCam["R22_S11"]));   // e2v camera
        Assert.Equal("DATASEC", e.Keyword);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Iraf_sections_round_trip_with_flips()
    {
        var s = IrafSection.Parse("[512:4,2000:1]");
        Assert.Equal((Box2I.FromCorners(3, 0, 511, 1999), true, true), (s.Box, s.FlipX, s.FlipY));
        Assert.Equal("[512:4,2000:1]", s.ToString());
        Assert.Throws<FormatException>(() => IrafSection.Parse("[0:4,1:2]"));
        Assert.Throws<FormatException>(() => IrafSection.Parse("4:5,1:2"));
    }
}
