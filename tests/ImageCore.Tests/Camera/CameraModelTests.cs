using ImageCore.Camera;
using ImageCore.Geometry;

namespace ImageCore.Tests.Camera;

public class CameraModelTests
{
    private static readonly CameraModel Cam = CameraModel.LsstCam;

    [Fact]
    public void LsstCam_has_189_science_detectors_in_13_e2v_and_8_itl_rafts()
    {
        Assert.Equal("LSSTCam", Cam.Name);
        Assert.Equal(189, Cam.Detectors.Count);
        Assert.Equal(Enumerable.Range(0, 189), Cam.Detectors.Select(d => d.Id));
        Assert.Equal(117, Cam.Detectors.Count(d => d.Vendor == "E2V"));
        Assert.Equal(72, Cam.Detectors.Count(d => d.Vendor == "ITL"));
        var rafts = Cam.Detectors.GroupBy(d => d.Raft).ToList();
        Assert.Equal(21, rafts.Count);
        Assert.All(rafts, r => Assert.Equal(9, r.Count()));
        Assert.All(rafts, r => Assert.Single(r.Select(d => d.Vendor).Distinct()));
        Assert.Equal(13, rafts.Count(r => r.First().Vendor == "E2V"));
        Assert.Equal(["R01", "R02", "R03", "R10", "R20", "R41", "R42", "R43"],
                     rafts.Where(r => r.First().Vendor == "ITL").Select(r => r.Key).Order());
        Assert.Matches(@"^R\d\d_S\d\d$", Cam[94].Name);
        Assert.Equal("R22_S11", Cam[94].Name);
        Assert.Equal(94, Cam["R22_S11"].Id);
        Assert.Equal((0.0, 0.0), Cam["R22_S11"].CenterMm);   // the boresight detector
        Assert.Equal(0.2, Cam.PixelScaleArcsec, 3);
    }

    [Fact]
    public void Detector_sizes_follow_the_vendor()
    {
        foreach (var d in Cam.Detectors)
        {
            var (w, h) = d.Vendor == "E2V" ? (4096, 4004) : (4072, 4000);
            Assert.Equal(new Box2I(0, 0, w, h), d.BBox);
            Assert.Equal(new Box2I(0, 0, 4608, 4096), d.RawBBox);
        }
    }

    [Theory]
    [InlineData(1), InlineData(2), InlineData(4), InlineData(8)]
    public void Amplifier_boxes_tile_the_raw_and_the_assembled_images_exactly(int scale)
    {
        var cam = Cam.Scaled(scale);
        Assert.Equal(189, cam.Detectors.Count);
        foreach (var d in cam.Detectors)
        {
            AssertTiles(d.RawBBox, d.Amplifiers.Select(a => a.RawBBox), $"{d.Name} raw");
            AssertTiles(d.BBox, d.Amplifiers.Select(a => a.BBox), $"{d.Name} trimmed");
            foreach (var a in d.Amplifiers)
            {
                Assert.True(a.RawBBox.Contains(a.RawDataBBox) && a.RawBBox.Contains(a.RawSerialOverscanBBox)
                            && a.RawBBox.Contains(a.RawParallelOverscanBBox) && a.RawBBox.Contains(a.RawSerialPrescanBBox), $"{d.Name} {a.Name}");
                Assert.Equal((a.BBox.Width, a.BBox.Height), (a.RawDataBBox.Width, a.RawDataBBox.Height));
                // Data, prescan, serial and parallel overscan never overlap inside a segment.
                var parts = new[] { a.RawDataBBox, a.RawSerialPrescanBBox, a.RawSerialOverscanBBox, a.RawParallelOverscanBBox };
                for (int i = 0; i < parts.Length; i++)
                    for (int j = i + 1; j < parts.Length; j++)
                        Assert.True(parts[i].Intersect(parts[j]).IsEmpty, $"{d.Name} {a.Name}: {parts[i]} overlaps {parts[j]}");
                // Serial overscan sits beside the data rows, parallel overscan beside the data columns.
                Assert.Equal((a.RawDataBBox.MinY, a.RawDataBBox.Height), (a.RawSerialOverscanBBox.MinY, a.RawSerialOverscanBBox.Height));
                Assert.Equal((a.RawDataBBox.MinX, a.RawDataBBox.Width), (a.RawParallelOverscanBBox.MinX, a.RawParallelOverscanBBox.Width));
            }
        }
    }

    [Fact]
    public void Scaled_cameras_shrink_every_segment()
    {
        Assert.Same(Cam, Cam.Scaled(1));
        var c8 = Cam.Scaled(8);
        Assert.Equal(new Box2I(0, 0, 576, 512), c8["R22_S11"].RawBBox);
        Assert.Equal(new Box2I(0, 0, 512, 500), c8["R22_S11"].BBox);
        Assert.Equal(new Box2I(0, 0, 512, 500), c8["R01_S00"].BBox);
        var l = c8["R22_S11"].Layout;
        Assert.Equal((72, 256, 1, 64, 7, 6), (l.RawWidth, l.RawHeight, l.SerialPrescan.Width, l.Data.Width, l.SerialOverscan.Width, l.ParallelOverscan.Height));
        Assert.Equal(1.6, c8.PixelScaleArcsec, 3);
        Assert.Equal(Cam[7]["C03"].Gain, c8[7]["C03"].Gain);
        Assert.Throws<ArgumentException>(() => Cam.Scaled(3));
        Assert.Throws<ArgumentException>(() => Cam.Scaled(64));
    }

    [Fact]
    public void Assembled_boxes_match_the_worked_examples_of_the_reference()
    {
        // shared/reference/isr.md section 1 (half-open): e2v C10 data x[54,566) y[2094,4096), serial overscan x[0,54);
        // ITL C00 data x[64,573) y[0,2000).
        var c10 = Cam["R22_S11"]["C10"];
        Assert.Equal(Box2I.FromCorners(54, 2094, 565, 4095), c10.RawDataBBox);
        Assert.Equal(0, c10.RawSerialOverscanBBox.MinX);
        Assert.Equal(54, c10.RawSerialOverscanBBox.Width);
        Assert.True(c10.FlipX && c10.FlipY);
        var c00 = Cam["R01_S00"]["C00"];
        Assert.Equal(Box2I.FromCorners(64, 0, 572, 1999), c00.RawDataBBox);
        Assert.True(c00.FlipX && !c00.FlipY);
        Assert.False(Cam["R22_S11"]["C00"].FlipX || Cam["R22_S11"]["C00"].FlipY);
        Assert.Equal(new[] { "C10", "C11", "C12", "C13", "C14", "C15", "C16", "C17", "C07", "C06", "C05", "C04", "C03", "C02", "C01", "C00" },
                     Cam[0].Amplifiers.Select(a => a.Name));
        Assert.Equal("Segment10", Cam[0].Amplifiers[0].ExtName);
        Assert.Equal(16, Cam[0]["C00"].HduIndex);
    }

    [Fact]
    public void Electronics_are_in_the_reference_ranges()
    {
        var e2v = Cam.Detectors.Where(d => d.Vendor == "E2V").SelectMany(d => d.Amplifiers).ToList();
        var itl = Cam.Detectors.Where(d => d.Vendor == "ITL").SelectMany(d => d.Amplifiers).ToList();
        static double Median(IEnumerable<double> v) { var s = v.Order().ToArray(); return (s[(s.Length - 1) / 2] + s[s.Length / 2]) / 2; }
        // Medians the reference aggregated from the same obs_lsst files.
        Assert.Equal(1.476, Median(e2v.Select(a => a.Gain)), 2);
        Assert.Equal(1.671, Median(itl.Select(a => a.Gain)), 2);
        Assert.Equal(5.41, Median(e2v.Select(a => a.ReadNoise)), 1);
        Assert.Equal(6.40, Median(itl.Select(a => a.ReadNoise)), 1);
    }

    [Fact]
    public void A_camera_loads_from_json_and_bad_fields_are_named()
    {
        using var dir = new ImageCore.Tests.Support.TempDir();
        string path = dir.File("cam.json");
        string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "ImageCore", "Camera", "Data", "lsstcam.json"));
        File.WriteAllText(path, json);
        var loaded = CameraModel.Load(path);
        Assert.Equal(189, loaded.Detectors.Count);
        File.WriteAllText(path, json.Replace("\"gain\":1.74075", "\"gain\":-1"));
        var e = Assert.Throws<CameraFormatException>(() => CameraModel.Load(path));
        Assert.Contains("$.detectors[0].amplifiers[0].gain", e.Message);
        Assert.Contains(path, e.Message);
        File.WriteAllText(path, json.Replace("\"serialOverscan\": [\n    522", "\"serialOverscan\": [\n    600"));
        Assert.Throws<CameraFormatException>(() => CameraModel.Load(path));
    }

    /// <summary>Exact tiling: every part inside, no two parts overlap, and the areas add up to the whole.</summary>
    private static void AssertTiles(Box2I whole, IEnumerable<Box2I> parts, string what)
    {
        var list = parts.ToList();
        Assert.All(list, b => Assert.True(whole.Contains(b) && !b.IsEmpty, $"{what}: {b} is outside {whole}"));
        for (int i = 0; i < list.Count; i++)
            for (int j = i + 1; j < list.Count; j++)
                Assert.True(list[i].Intersect(list[j]).IsEmpty, $"{what}: {list[i]} overlaps {list[j]}");
        Assert.Equal(whole.Area, list.Sum(b => b.Area));
    }
}
