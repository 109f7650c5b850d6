using ImageCore.Camera;
using ImageCore.Images;

namespace ImageCore.Isr;

// Serial and parallel overscan per amplifier (steps 4, 5 and 9), and the skips fitted to the detector.
public static partial class IsrTask
{
    /// <summary>Steps 4 and 5 per amplifier: the serial overscan level of every row (data and parallel-overscan
    /// rows) subtracted across the amplifier, and SAT/SUSPECT flagged, in one pass.</summary>
    internal static void SerialOverscanAndSaturation(Image<float> untrimmed, Mask mask, Detector detector, IsrConfig config, ParallelOptions parallel)
    {
        int sat = config.Saturation.Enabled ? mask.GetBitMask("SAT") : 0, suspect = config.Suspect.Enabled ? mask.GetBitMask("SUSPECT") : 0;
        var overscanConfig = ScaleSkips(config.Overscan, detector.Layout.SerialOverscan.Width, (detector.Layout.FullSize ?? detector.Layout).SerialOverscan.Width,
                                        "IsrConfig.Overscan", "serial overscan columns", detector);
        ForEachAmplifier(detector.Amplifiers.Count, parallel, a =>
        {
            var amp = detector.Amplifiers[a];
            var box = amp.RawBBox;
            var levels = new float[box.Height];
            if (config.Overscan.Enabled)
                Overscan.MeasureRows(untrimmed.View(amp.RawSerialOverscanBBox with { MinY = box.MinY, Height = box.Height }), dataOnLeft: !amp.FlipX, overscanConfig, levels);
            float saturation = (float)amp.Saturation, suspectLevel = (float)(config.Suspect.FractionOfSaturation * amp.Saturation);
            var pixels = untrimmed.View(box);
            var bits = mask.Image.View(box);
            for (int y = 0; y < box.Height; y++)
                IsrPixelPass.SubtractOverscanAndFlag(pixels.GetRowSpan(y), levels[y], bits.GetRowSpan(y), saturation, sat, suspectLevel, suspect);
        });
    }

    /// <summary>Step 9: the per-column level of each amplifier's parallel overscan (ADU), in the order of its imaging columns.</summary>
    internal static float[][] MeasureParallelOverscan(Image<float> untrimmed, Mask mask, Detector detector, IsrConfig config, ParallelOptions parallel)
    {
        var c = config.ParallelOverscan with
        {
            Overscan = ScaleSkips(config.ParallelOverscan.Overscan, detector.Layout.ParallelOverscan.Height, (detector.Layout.FullSize ?? detector.Layout).ParallelOverscan.Height,
                                  "IsrConfig.ParallelOverscan.Overscan", "parallel overscan rows", detector),
        };
        var levels = new float[detector.Amplifiers.Count][];
        int sat = mask.GetBitMask("SAT");
        ForEachAmplifier(detector.Amplifiers.Count, parallel, a =>
        {
            var amp = detector.Amplifiers[a];
            levels[a] = new float[amp.RawDataBBox.Width];
            ParallelOverscan.MeasureColumns(untrimmed.View(amp.RawParallelOverscanBBox), mask.Image.View(amp.RawParallelOverscanBBox), untrimmed.View(amp.RawDataBBox),
                                            dataBelow: !amp.FlipY, amp.Saturation, sat, c, levels[a]);
        });
        return levels;
    }

    /// <summary>The skips, checked against the detector's overscan and fitted to it: they must leave at least one of the
    /// <paramref name="fullSize"/> columns or rows of the amplifiers' overscan at full size (else a
    /// <see cref="ConfigException"/> naming the detector and its first amplifier); in a layout scaled down by the
    /// simulator (narrow overscans, <paramref name="available"/> &lt; <paramref name="fullSize"/>) they then shrink, one
    /// at a time and the larger first, until at least one is left.</summary>
    private static OverscanConfig ScaleSkips(OverscanConfig c, int available, int fullSize, string setting, string what, Detector detector)
    {
        int lead = c.LeadingToSkip, trail = c.TrailingToSkip;   // each 0..OverscanConfig.MaxSkip (validated): the sum cannot overflow
        if (lead + trail >= fullSize)
            throw new ConfigException($"{setting}.LeadingToSkip + TrailingToSkip", $"{lead} + {trail}",
                                      $"must leave at least one of the {fullSize} {what} of {detector.Name} amplifier {detector.Amplifiers[0].Name} (and the other {detector.Amplifiers.Count - 1})");
        while (lead + trail >= available && (lead > 0 || trail > 0))
        {
            if (lead >= trail && lead > 0) lead--; else trail--;
        }
        return c with { LeadingToSkip = lead, TrailingToSkip = trail };
    }

    /// <summary><paramref name="body"/> for every amplifier, on up to the allowed threads; a failure comes out as it was
    /// thrown (the first, when several amplifiers fail), never wrapped in an <see cref="AggregateException"/>.</summary>
    private static void ForEachAmplifier(int count, ParallelOptions parallel, Action<int> body)
    {
        try { Parallel.For(0, count, parallel, body); }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
            throw;
        }
    }
}
