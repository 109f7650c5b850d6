using ImageCore.Characterize;
using ImageCore.Images;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Characterize;

public class PsfStarSelectorTests
{
    private const double Sigma = 1.6;

    /// <summary>64 isolated stars on a grid, 16 galaxies between them, and one of each thing a PSF star must not be.</summary>
    private static List<SimulatedSource> Scene()
    {
        var s = new List<SimulatedSource>();
        for (int j = 0; j < 8; j++)
            for (int i = 0; i < 8; i++)
                s.Add(new SimulatedSource(60 + 90 * i + 0.1 * i, 60 + 90 * j - 0.13 * j, 1e5 * (1 + (i + j) % 4), Sigma, false));
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < 4; i++)
                s.Add(new SimulatedSource(105 + 180 * i, 105 + 180 * j, 2e5, Math.Sqrt(Sigma * Sigma + 6.25), true));
        s.Add(new SimulatedSource(750, 100, 1e5, Sigma, false));    // a blend of two stars 4.5 pixels apart
        s.Add(new SimulatedSource(754, 102, 1e5, Sigma, false));
        s.Add(new SimulatedSource(750, 250, 1e5, Sigma, false));    // saturated (SAT set below)
        s.Add(new SimulatedSource(750, 400, 1e5, Sigma, false));    // a CR-masked pixel in its stamp (below)
        s.Add(new SimulatedSource(750, 550, 2500, Sigma, false));   // faint
        s.Add(new SimulatedSource(2, 600, 1e5, Sigma, false));      // at the edge
        s.Add(new SimulatedSource(745, 700, 1e5, Sigma, false));    // two stars 13 pixels apart
        s.Add(new SimulatedSource(757, 706, 1e5, Sigma, false));
        return s;
    }

    private static Exposure SceneExposure()
    {
        var e = SyntheticField.Make(800, 800, Scene());
        int sat = e.Mask.GetBitMask("SAT"), cr = e.Mask.GetBitMask("CR");
        for (int y = 249; y <= 251; y++)
            for (int x = 749; x <= 751; x++) e.Mask.Image[x, y] |= sat;
        e.Mask.Image[756, 406] |= cr;
        e.Image[400, 770] += 5000;   // an unmasked cosmic-ray pixel
        return e;
    }

    [Fact]
    public void Isolated_round_stars_are_chosen_and_everything_else_is_counted_out()
    {
        using var e = SceneExposure();
        var footprints = ThresholdDetection.SubtractBackgroundAndDetect(e);
        var selection = PsfStarSelector.Select(e, footprints, new PsfStarSelectorConfig());
        var c = selection.Counts;
        // The locus clip at 2 sigma (objectSizeStarSelector's) passes over a few percent of the stars by design.
        Assert.InRange(selection.Candidates.Count, 58, 64);
        Assert.Equal(selection.Candidates.Count, c.Selected);
        Assert.Equal(footprints.Count, c.Footprints);
        Assert.True(c.Blended >= 1, c.ToString());
        Assert.True(c.Masked >= 2, c.ToString());
        Assert.True(c.Faint >= 1, c.ToString());
        Assert.True(c.Edge + c.Unmeasured >= 1, c.ToString());
        Assert.True(c.OffLocus >= 16, c.ToString());
        Assert.True(c.Crowded + c.Blended + c.Elongated >= 2, c.ToString());   // the 4.5-pixel pair is one elongated peak
        Assert.Equal(c.Footprints, c.Blended + c.Masked + c.Unmeasured + c.Faint + c.WrongSize + c.Elongated + c.OffLocus + c.Edge + c.Crowded + c.OverLimit + c.Selected);
        // Width of a pixel-integrated Gaussian: sqrt(sigma^2 + 1/12).
        Assert.Equal(Math.Sqrt(Sigma * Sigma + 1 / 12.0), selection.LocusWidth, 2);
        Assert.Equal(2 * (int)Math.Ceiling(6 * selection.LocusWidth) + 1, selection.KernelSize);
        var truth = Scene().Take(64).ToList();   // every candidate is one of the grid's stars
        foreach (var star in selection.Candidates)
        {
            var nearest = truth.MinBy(t => Math.Abs(t.X - star.X) + Math.Abs(t.Y - star.Y));
            Assert.True(Math.Abs(nearest.X - star.X) < 0.05 && Math.Abs(nearest.Y - star.Y) < 0.05, $"{star.X}, {star.Y} vs {nearest.X}, {nearest.Y}");
            Assert.True(star.SignalToNoise > 100);
        }
        Assert.True(selection.Candidates.Zip(selection.Candidates.Skip(1)).All(p => p.First.Flux >= p.Second.Flux), "brightest first");
    }

    [Fact]
    public void At_most_max_candidates_are_kept_the_brightest()
    {
        using var e = SceneExposure();
        var footprints = ThresholdDetection.SubtractBackgroundAndDetect(e);
        var all = PsfStarSelector.Select(e, footprints, new PsfStarSelectorConfig { KernelSize = 15 });
        var selection = PsfStarSelector.Select(e, footprints, new PsfStarSelectorConfig { MaxCandidates = 10, KernelSize = 15 });
        Assert.Equal(10, selection.Candidates.Count);
        Assert.Equal(all.Candidates.Count - 10, selection.Counts.OverLimit);
        Assert.Equal(15, selection.KernelSize);
        Assert.Equal(all.Candidates.Take(10), selection.Candidates);
        Assert.All(selection.Candidates, s => Assert.True(s.Flux > 3.5e5));
    }

    [Fact]
    public void Settings_out_of_range_are_named()
    {
        using var e = SceneExposure();
        Assert.Contains("PsfStarSelectorConfig.KernelSize", Assert.Throws<ConfigException>(() => PsfStarSelector.Select(e, [], new PsfStarSelectorConfig { KernelSize = 20 })).Message);
        Assert.Contains("X.MinWidth", Assert.Throws<ConfigException>(() => new PsfStarSelectorConfig { MinWidth = 12 }.Validate("X")).Message);
        Assert.Contains("PsfDeterminerConfig.StarSelection.BadMaskPlanes", Assert.Throws<ConfigException>(() => new PsfDeterminerConfig { StarSelection = new() { BadMaskPlanes = null! } }.Validate()).Message);
        Assert.Contains("PsfDeterminerConfig.Fit.LanczosOrder", Assert.Throws<ConfigException>(() => new PsfDeterminerConfig { StarSelection = new() { Border = 3 } }.Validate()).Message);
        Assert.Contains("C.Fit", Assert.Throws<ConfigException>(() => new PsfDeterminerConfig { Fit = null! }.Validate("C")).Message);
    }

    [Fact]
    public void No_footprints_select_nothing()
    {
        using var e = SceneExposure();
        var selection = PsfStarSelector.Select(e, [], new PsfStarSelectorConfig());
        Assert.Empty(selection.Candidates);
        Assert.True(double.IsNaN(selection.LocusWidth));
        Assert.Equal(new PsfStarSelectionCounts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), selection.Counts);
    }
}
