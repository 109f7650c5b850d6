using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;

namespace ImageCore.Isr;

// The per-pixel steps after crosstalk: the fused pass and the one-step-per-pass form.
public static partial class IsrTask
{
    /// <summary>Steps 9, 10, 6, 12, 14, 15, 17, 19 and 20 in one pass per amplifier row, then 16 (defect boxes).</summary>
    private static MaskedImage CalibrateFused(Image<float> untrimmed, Mask untrimmedMask, Detector detector, float[][]? columnLevels, IReadOnlyList<double>? k,
                                              (CalibrationFrame Bias, CalibrationFrame Dark, CalibrationFrame Flat) frames, IReadOnlyList<Box2I>? defects, FitsHeader primary, string rawName, IsrConfig config, ParallelOptions parallel)
    {
        var (bias, dark, flat) = frames;
        float darkScale = (float)DarkScale(config.Dark, primary, rawName, dark.Metadata);
        var box = detector.BBox;
        var science = MaskedImage.Uncleared(box);
        try
        {
            int nanBit = config.NanMasking.Enabled ? 1 << science.Mask.AddPlane("UNMASKEDNAN") : 0, badBit = science.Mask.GetBitMask("BAD");
            var unusable = CalibrateInto(untrimmed, untrimmedMask, detector, columnLevels, k, bias, dark, flat, darkScale, nanBit, badBit, science, parallel,
                                         scalarReference: false, (float)config.CalibrationChecks.MinFlat);
            long pixels = (long)box.Width * box.Height;
            CheckUnusable("bias", bias.Metadata.Source, unusable.Bias, pixels, config.CalibrationChecks);
            CheckUnusable("dark", dark.Metadata.Source, unusable.Dark, pixels, config.CalibrationChecks);
            CheckUnusable("flat", flat.Metadata.Source, unusable.Flat, pixels, config.CalibrationChecks);
            if (config.Defects.Enabled)
                PixelSteps.MaskDefects(science.Mask, defects!, badBit);
            return science;
        }
        catch
        {
            science.Dispose();
            throw;
        }
    }

    /// <summary>The fused pass over every amplifier into <paramref name="science"/> (the detector's trimmed box), with
    /// master frames in memory; with <paramref name="scalarReference"/> the scalar reference runs instead (benchmarks
    /// compare the two).</summary>
    internal static IsrUnusablePixels CalibrateInto(Image<float> untrimmed, Mask untrimmedMask, Detector detector, float[][]? columnLevels, IReadOnlyList<double>? k,
                                                    Exposure bias, Exposure dark, Exposure flat, float darkScale, int nanBit, int badBit, MaskedImage science,
                                                    ParallelOptions parallel, bool scalarReference, float minFlat = 1e-4f) =>
        CalibrateInto(untrimmed, untrimmedMask, detector, columnLevels, k, CalibrationFrame.InMemory(bias), CalibrationFrame.InMemory(dark), CalibrationFrame.InMemory(flat),
                      darkScale, nanBit, badBit, science, parallel, scalarReference, minFlat);

    /// <summary>The fused pass, the master frames read a band of rows at a time (views of planes in memory, or rows read
    /// from their files into buffers of the thread's own). A frame that cannot be read fails the pass with its
    /// <see cref="CalibrationException"/>. Returns how many pixels of each frame were unusable (flagged BAD, not applied).</summary>
    internal static IsrUnusablePixels CalibrateInto(Image<float> untrimmed, Mask untrimmedMask, Detector detector, float[][]? columnLevels, IReadOnlyList<double>? k,
                                                    CalibrationFrame bias, CalibrationFrame dark, CalibrationFrame flat, float darkScale, int nanBit, int badBit, MaskedImage science,
                                                    ParallelOptions parallel, bool scalarReference, float minFlat = 1e-4f)
    {
        float[] zeros = new float[detector.Layout.Data.Width];
        var amps = detector.Amplifiers;
        var scalars = new IsrAmplifierScalars[amps.Count];
        for (int a = 0; a < amps.Count; a++)
        {
            var amp = amps[a];
            scalars[a] = new IsrAmplifierScalars(k is null ? 0f : (float)k[a], (float)amp.Gain, darkScale, (float)(amp.ReadNoise * amp.ReadNoise), nanBit, badBit, minFlat);
            if (!(amp.Gain > 0) || double.IsInfinity(amp.Gain)) throw new ArgumentException($"{detector.Name} {amp.Name}: gain {amp.Gain} e-/ADU must be finite and > 0");
            if (!(scalars[a].LinearityK >= 0) || float.IsInfinity(scalars[a].LinearityK)) throw new ArgumentException($"{detector.Name} {amp.Name}: linearity coefficient {scalars[a].LinearityK} must be finite and >= 0");
        }
        // Whole detector rows, amplifier by amplifier along each: every plane is then read in long runs
        // (the calibrations and the output are contiguous across amplifiers), which the prefetchers follow.
        var box = detector.BBox;
        int bandRows = Math.Min(bias.BandRows, Math.Min(dark.BandRows, flat.BandRows));
        int bands = (box.Height + bandRows - 1) / bandRows;
        var unusable = default(IsrUnusablePixels);
        var gate = new object();
        try
        {
            Parallel.For(0, bands, parallel, () => new BandBuffers(bias.NewBuffer(bandRows), dark.NewBuffer(bandRows), flat.NewBuffer(bandRows)), (band, _, buffers) =>
            {
                int first = band * bandRows, rows = Math.Min(box.Height, first + bandRows) - first;
                var bb = bias.Read(first, rows, buffers.Bias);
                var db = dark.Read(first, rows, buffers.Dark);
                var fb = flat.Read(first, rows, buffers.Flat);
                for (int r = 0; r < rows; r++)
                {
                    int ty = first + r, y = box.MinY + ty;
                    Span<float> bi = bb.Image.GetRowSpan(r), bv = bb.Variance.GetRowSpan(r);
                    Span<int> bm = bb.Mask.GetRowSpan(r);
                    Span<float> di = db.Image.GetRowSpan(r), dv = db.Variance.GetRowSpan(r);
                    Span<int> dm = db.Mask.GetRowSpan(r);
                    Span<float> fi = fb.Image.GetRowSpan(r), fv = fb.Variance.GetRowSpan(r);
                    Span<int> fm = fb.Mask.GetRowSpan(r);
                    Span<float> si = science.Image.Pixels.GetRowSpan(ty), sv = science.Variance.Pixels.GetRowSpan(ty);
                    Span<int> sm = science.Mask.Image.Pixels.GetRowSpan(ty);
                    for (int a = 0; a < amps.Count; a++)
                    {
                        var amp = amps[a];
                        var b = amp.BBox;
                        if (y < b.MinY || y > b.MaxY) continue;
                        // The amplifier's raw row that lands on detector row y (no flips are left after assembly).
                        int rawY = amp.RawDataBBox.MinY + (y - b.MinY) - untrimmed.Xy0.Y;
                        int x0 = b.MinX - box.MinX, w = b.Width, rawX0 = amp.RawDataBBox.MinX - untrimmed.Xy0.X;
                        var row = new IsrPixelRow
                        {
                            Raw = untrimmed.Pixels.GetRowSpan(rawY).Slice(rawX0, w), RawMask = untrimmedMask.Image.Pixels.GetRowSpan(rawY).Slice(rawX0, w),
                            ColumnLevel = columnLevels is null ? zeros : columnLevels[a],
                            Bias = bi.Slice(x0, w), BiasVariance = bv.Slice(x0, w), BiasMask = bm.Slice(x0, w),
                            Dark = di.Slice(x0, w), DarkVariance = dv.Slice(x0, w), DarkMask = dm.Slice(x0, w),
                            Flat = fi.Slice(x0, w), FlatVariance = fv.Slice(x0, w), FlatMask = fm.Slice(x0, w),
                            Image = si.Slice(x0, w), Variance = sv.Slice(x0, w), Mask = sm.Slice(x0, w),
                        };
                        buffers.Unusable += scalarReference ? IsrPixelPass.CalibrateScalar(ref row, scalars[a]) : IsrPixelPass.Calibrate(ref row, scalars[a]);
                    }
                }
                return buffers;
            }, buffers =>
            {
                lock (gate) unusable += buffers.Unusable;
                buffers.Dispose();
            });
            return unusable;
        }
        catch (AggregateException e)
        {
            // A frame that could not be read (or any other failure of a band): the first failure, as it was thrown.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            throw;
        }
    }

    /// <summary>One thread's buffers for the bands of the three frames (null where a frame needs none).</summary>
    private sealed record BandBuffers(FrameBuffer? Bias, FrameBuffer? Dark, FrameBuffer? Flat) : IDisposable
    {
        /// <summary>The unusable pixels of the bands this thread did.</summary>
        public IsrUnusablePixels Unusable { get; set; }

        public void Dispose()
        {
            Bias?.Dispose();
            Dark?.Dispose();
            Flat?.Dispose();
        }
    }

    /// <summary>The same steps as <see cref="CalibrateFused"/>, one pass each (the naive form; any configuration).</summary>
    private static MaskedImage CalibrateStepwise(Image<float> untrimmed, Mask untrimmedMask, Detector detector, float[][]? columnLevels, IReadOnlyList<double>? k,
                                                 ICalibrationSource calibrations, string band, FitsHeader primary, string rawName, IsrConfig config)
    {
        using var untrimmedVariance = new Image<float>(detector.RawBBox);
        for (int a = 0; a < detector.Amplifiers.Count; a++)
        {
            var amp = detector.Amplifiers[a];
            if (columnLevels is not null) ParallelOverscan.SubtractColumns(untrimmed.View(amp.RawDataBBox), columnLevels[a]);
            if (k is not null) Linearity.Correct(untrimmed.View(amp.RawBBox), k[a]);
            if (config.Gain.Enabled) PixelSteps.ApplyGain(untrimmed.View(amp.RawBBox), untrimmedVariance.View(amp.RawBBox), amp.Gain);
        }
        var science = new MaskedImage(RawAssembly.Trim(untrimmed, detector), new Mask(RawAssembly.Trim(untrimmedMask.Image, detector)), RawAssembly.Trim(untrimmedVariance, detector));
        try
        {
            long pixels = (long)detector.BBox.Width * detector.BBox.Height;
            if (config.Bias.Enabled)
                using (var bias = calibrations.GetBias(detector))
                    CheckUnusable("bias", bias.Value.Metadata.Source, CalibrationSteps.SubtractBias(science, bias.Value.MaskedImage), pixels, config.CalibrationChecks);
            if (config.Dark.Enabled)
                using (var dark = calibrations.GetDark(detector))
                    CheckUnusable("dark", dark.Value.Metadata.Source,
                                  CalibrationSteps.SubtractDark(science, dark.Value.MaskedImage, DarkScale(config.Dark, primary, rawName, dark.Value.Metadata), 1), pixels, config.CalibrationChecks);
            if (config.Defects.Enabled)
                using (var defects = calibrations.GetDefects(detector)) PixelSteps.MaskDefects(science.Mask, defects.Value, science.Mask.GetBitMask("BAD"));
            if (config.NanMasking.Enabled)
                PixelSteps.MaskNonFinite(science, 1 << science.Mask.AddPlane("UNMASKEDNAN"));
            if (config.Variance.Enabled)
                foreach (var amp in detector.Amplifiers)
                    PixelSteps.AddVariance(science.Image.View(amp.BBox), science.Variance.View(amp.BBox), science.Mask.Image.View(amp.BBox),
                                           amp.ReadNoise, science.Mask.GetBitMask("BAD"));
            if (config.Flat.Enabled)
                using (var flat = calibrations.GetFlat(detector, band))
                    CheckUnusable("flat", flat.Value.Metadata.Source, CalibrationSteps.DivideFlat(science, flat.Value.MaskedImage, (float)config.CalibrationChecks.MinFlat),
                                  pixels, config.CalibrationChecks);
            return science;
        }
        catch
        {
            science.Dispose();
            throw;
        }
    }
}
