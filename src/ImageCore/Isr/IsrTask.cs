using CommunityToolkit.HighPerformance;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Isr;

/// <summary>
/// Runs instrument signature removal on one raw detector file: per amplifier serial overscan,
/// saturation masking, crosstalk, linearity and gain on the assembled untrimmed image; then trim, bias, dark, defects, NaN
/// masking, variance, flat and interpolation on the detector image. Returns the post-ISR exposure in electrons.
/// </summary>
public static class IsrTask
{

    /// <summary>ISR of <paramref name="raw"/>. The detector comes from DETNAME; a scaled simulation is
    /// recognised from the segment width. With gain, bias, dark, variance and flat all on (the default), the
    /// per-pixel steps after crosstalk run as one fused pass (<see cref="IsrPixelPass.Calibrate"/>);
    /// otherwise they run one step per pass. Both give the same pixels.</summary>
    /// <param name="raw">The raw detector file.</param>
    /// <param name="camera">The camera it was taken with.</param>
    /// <param name="calibrations">Where the master calibrations come from.</param>
    /// <param name="config">Which steps, with what settings.</param>
    /// <param name="maxDegreeOfParallelism">Threads for the per-amplifier work and for reading the
    /// calibrations while the raw is processed; 1 (the default) runs everything on the calling thread.</param>
    /// <exception cref="FitsFormatException">The raw file is malformed or does not fit the camera.</exception>
    /// <exception cref="CalibrationException">A calibration is missing or does not fit, has unusable values where no pixel
    /// can stand in (gain, read noise, saturation, crosstalk or linearity coefficients), or more than
    /// <see cref="CalibrationCheckConfig.MaxUnusableFraction"/> of a bias, dark or flat is unusable.</exception>
    /// <exception cref="ConfigException">An invalid configuration (checked before any work), or overscan skips that leave
    /// no overscan column or row of the detector's amplifiers.</exception>
    /// <exception cref="ArgumentException"><paramref name="maxDegreeOfParallelism"/> is below 1.</exception>
    /// <remarks>No pixel of the result that is neither BAD, SAT, NO_DATA nor UNMASKEDNAN has a non-finite image or
    /// variance or a negative variance: calibration pixels that cannot be applied are flagged BAD where they are applied,
    /// and a last check flags BAD any other such pixel (counted in a HISTORY card) before interpolation.</remarks>
    public static Exposure Run(FitsFile raw, CameraModel camera, ICalibrationSource calibrations, IsrConfig config, int maxDegreeOfParallelism = 1) =>
        Run(raw, camera, calibrations, config, maxDegreeOfParallelism, allowFused: true);

    /// <summary><see cref="Run(FitsFile, CameraModel, ICalibrationSource, IsrConfig, int)"/>, giving up between its phases
    /// (reading the raw, each calibration, processing) once <paramref name="cancel"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; nothing is returned and every plane is freed.</exception>
    public static Exposure Run(FitsFile raw, CameraModel camera, ICalibrationSource calibrations, IsrConfig config, int maxDegreeOfParallelism, CancellationToken cancel) =>
        Run(raw, camera, calibrations, config, maxDegreeOfParallelism, allowFused: true, cancel);

    /// <summary><see cref="Run(FitsFile, CameraModel, ICalibrationSource, IsrConfig, int)"/>; with <paramref name="allowFused"/>
    /// false the one-step-per-pass form runs whatever the configuration (tests and benchmarks compare the two).</summary>
    internal static Exposure Run(FitsFile raw, CameraModel camera, ICalibrationSource calibrations, IsrConfig config, int maxDegreeOfParallelism, bool allowFused,
                                 CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(calibrations);
        config.Validate();
        if (maxDegreeOfParallelism < 1) throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "must be >= 1");
        var primary = raw[0].Header;
        var detector = FindDetector(raw, camera);
        CheckSegments(raw, detector);
        if (config.AmplifierParameters == AmplifierParameterSource.Calibration)
            using (var amps = calibrations.GetAmplifiers(detector))
            {
                CheckAmplifiers(amps.Value, detector, "amps");
                detector = detector.WithElectronics(amps.Value.Select(a => (a.Gain, a.ReadNoise, a.Saturation)).ToList());
            }
        else CheckAmplifiers(detector.Amplifiers.Select(a => new AmplifierCalibration(a.Name, a.Gain, a.ReadNoise, a.Saturation)).ToList(), detector, "camera");
        cancel.ThrowIfCancellationRequested();
        string band = primary.GetString("BAND", null) ?? throw new FitsFormatException(raw.Name, 0, -1, "BAND", "the raw has no BAND: the flat cannot be chosen");
        bool fused = allowFused && config.Gain.Enabled && config.Bias.Enabled && config.Dark.Enabled && config.Variance.Enabled && config.Flat.Enabled;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };

        // From a source that can stream them, the bias, dark and flat are opened (headers read and checked) before the raw
        // is read, and the fused pass reads their rows as it goes. Otherwise they are read whole, while the raw is processed
        // when there is a second thread. Their leases are released here once the output is made.
        Task<Frames>? pending = null;
        Frames frames = default;
        if (fused && calibrations is IStreamedCalibrationSource streamed) frames = OpenStreamedFrames(streamed, detector, band, cancel);
        else if (fused && maxDegreeOfParallelism > 1) pending = Task.Run(() => LoadFrames(calibrations, detector, band, cancel));
        try
        {
            using var untrimmed = RawAssembly.ReadUntrimmed(raw, detector);
            cancel.ThrowIfCancellationRequested();
            var exposure = Process(untrimmed, primary, raw.Name, detector, calibrations, band, config, parallel, fused, () =>
            {
                if (frames.Bias is null) frames = pending is not null ? pending.GetAwaiter().GetResult() : LoadFrames(calibrations, detector, band, cancel);
                cancel.ThrowIfCancellationRequested();
                return (frames.Bias!, frames.Dark!, frames.Flat!);
            });
            if (cancel.IsCancellationRequested)
            {
                exposure.Dispose();
                cancel.ThrowIfCancellationRequested();
            }
            return exposure;
        }
        finally
        {
            if (pending is not null)
            {
                try { frames = pending.GetAwaiter().GetResult(); }
                catch (Exception) when (frames.Bias is null) { /* the failure is already on its way, or the raw failed first */ }
            }
            frames.Dispose();
        }
    }

    /// <summary>Everything after reading the raw: <paramref name="untrimmed"/> (the assembled raw, ADU) is
    /// worked on in place; <paramref name="getFrames"/> supplies the bias, dark and flat of the fused pass
    /// (the caller keeps them alive until this returns; they are only read). Benchmarks call this to time ISR without file I/O.</summary>
    internal static Exposure Process(Image<float> untrimmed, FitsHeader primary, string rawName, Detector detector, ICalibrationSource calibrations, string band,
                                     IsrConfig config, ParallelOptions parallel, bool fused, Func<(CalibrationFrame Bias, CalibrationFrame Dark, CalibrationFrame Flat)> getFrames)
    {
        // Pass A writes every pixel of every amplifier, and the amplifiers tile the raw box: no clearing needed.
        using var untrimmedMask = new Mask(new Image<int>(new Plane<int>(detector.RawBBox.Width, detector.RawBBox.Height, clear: false), detector.RawBBox.Min));
        SerialOverscanAndSaturation(untrimmed, untrimmedMask, detector, config, parallel);
        if (config.Crosstalk.Enabled)
            using (var crosstalk = calibrations.GetCrosstalk(detector))
            {
                CheckCrosstalk(crosstalk.Value, detector);
                Crosstalk.Subtract(untrimmed, detector, crosstalk.Value);
            }
        var columnLevels = config.ParallelOverscan.Enabled ? MeasureParallelOverscan(untrimmed, untrimmedMask, detector, config, parallel) : null;
        using var linearity = config.Linearity.Enabled ? calibrations.GetLinearity(detector) : null;
        var k = linearity?.Value;
        if (k is not null) CheckLinearity(k, detector);

        MaskedImage science;
        if (fused)
        {
            var frames = getFrames();
            using var defects = config.Defects.Enabled ? calibrations.GetDefects(detector) : null;
            science = CalibrateFused(untrimmed, untrimmedMask, detector, columnLevels, k, frames, defects?.Value, primary, rawName, config, parallel);
        }
        else
        {
            science = CalibrateStepwise(untrimmed, untrimmedMask, detector, columnLevels, k, calibrations, band, primary, rawName, config);
        }
        try
        {
            long guarded = MaskNonFiniteOrNegativeVariance(science);
            if (config.Interpolation.Enabled)
                Interpolation.OverDefects(science, science.Mask.GetBitMask("SAT", "BAD") |
                                                   (science.Mask.Planes.ContainsKey("UNMASKEDNAN") ? science.Mask.GetBitMask("UNMASKEDNAN") : 0));
            var metadata = new FitsHeader(rawName, 0);
            foreach (var c in primary)
                if (c.Kind == FitsValueKind.Commentary || !ExposureFits.IsStructuralKeyword(c.Keyword)) metadata.Add(c);
            metadata.Set("LSST ISR UNITS", config.Gain.Enabled ? "electron" : "adu", "units of the post-ISR image");
            foreach (var h in Steps(config)) metadata.AddCommentary("HISTORY", h);
            metadata.AddCommentary("HISTORY", "ImageCore ISR amplifier gain, read noise, saturation: "
                                              + (config.AmplifierParameters == AmplifierParameterSource.Calibration ? "amps calibration" : "camera model"));
            if (guarded > 0)
                metadata.AddCommentary("HISTORY", $"ImageCore ISR: {guarded} px non-finite or variance < 0 set BAD");
            return new Exposure(science, metadata);
        }
        catch
        {
            science.Dispose();
            throw;
        }
    }

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

    /// <summary>The bias, dark and flat of the fused pass and the leases that keep them (all null until read).</summary>
    private record struct Frames(CalibrationFrame? Bias, CalibrationFrame? Dark, CalibrationFrame? Flat, IDisposable? BiasLease, IDisposable? DarkLease, IDisposable? FlatLease)
    {
        public readonly void Dispose()
        {
            BiasLease?.Dispose();
            DarkLease?.Dispose();
            FlatLease?.Dispose();
        }
    }

    private static Frames LoadFrames(ICalibrationSource calibrations, Detector detector, string band, CancellationToken cancel = default) =>
        OpenFrames(() => calibrations.GetBias(detector), () => calibrations.GetDark(detector), () => calibrations.GetFlat(detector, band),
                   (lease, _) => CalibrationFrame.InMemory(lease.Value), cancel);

    private static Frames OpenStreamedFrames(IStreamedCalibrationSource calibrations, Detector detector, string band, CancellationToken cancel) =>
        OpenFrames(() => calibrations.OpenBias(detector), () => calibrations.OpenDark(detector), () => calibrations.OpenFlat(detector, band),
                   (lease, kind) => CalibrationFrame.Streamed(kind, lease.Value), cancel);

    /// <summary>The three frames in order, each lease released if a later one fails.</summary>
    private static Frames OpenFrames<T>(Func<CalibrationLease<T>> bias, Func<CalibrationLease<T>> dark, Func<CalibrationLease<T>> flat,
                                        Func<CalibrationLease<T>, string, CalibrationFrame> frame, CancellationToken cancel) where T : class
    {
        CalibrationLease<T>? b = null, d = null;
        try
        {
            b = bias();
            cancel.ThrowIfCancellationRequested();
            d = dark();
            cancel.ThrowIfCancellationRequested();
            var f = flat();
            return new Frames(frame(b, "bias"), frame(d, "dark"), frame(f, "flat"), b, d, f);
        }
        catch
        {
            b?.Dispose();
            d?.Dispose();
            throw;
        }
    }

    /// <summary>Steps 9, 10, 6, 12, 14, 15, 17, 19 and 20 in one pass per amplifier row, then 16 (defect boxes).</summary>
    private static MaskedImage CalibrateFused(Image<float> untrimmed, Mask untrimmedMask, Detector detector, float[][]? columnLevels, IReadOnlyList<double>? k,
                                              (CalibrationFrame Bias, CalibrationFrame Dark, CalibrationFrame Flat) frames, IReadOnlyList<Box2I>? defects, FitsHeader primary, string rawName, IsrConfig config, ParallelOptions parallel)
    {
        var (bias, dark, flat) = frames;
        float darkScale = (float)DarkScale(config.Dark, primary, rawName, dark.Metadata);
        var box = detector.BBox;
        var science = new MaskedImage(new Image<float>(new Plane<float>(box.Width, box.Height, clear: false), box.Min),
                                      new Mask(new Image<int>(new Plane<int>(box.Width, box.Height, clear: false), box.Min)),
                                      new Image<float>(new Plane<float>(box.Width, box.Height, clear: false), box.Min));
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

    /// <summary>DARKTIME(science) / DARKTIME(dark) (1 when not scaling).</summary>
    internal static double DarkScale(DarkConfig config, FitsHeader primary, string rawName, FitsHeader darkMetadata)
    {
        if (!config.ScaleByDarkTime) return 1;
        double darkTime = darkMetadata.GetDouble("DARKTIME", 1);
        if (!(darkTime > 0) || double.IsInfinity(darkTime)) throw new CalibrationException("dark", darkMetadata.Source, $"DARKTIME {darkTime} s must be finite and > 0");
        return RequireTime(primary, rawName) / darkTime;
    }

    /// <summary>The camera's detector named by the raw's DETNAME, at the scale its segments have (1, 2, 4 or 8, from the
    /// first segment's width). Only the headers up to the first segment are read (the pipeline plans footprints with
    /// this); <see cref="Run(FitsFile, CameraModel, ICalibrationSource, IsrConfig, int)"/> then checks every segment.</summary>
    /// <exception cref="FitsFormatException">No DETNAME, an unknown detector, or a first segment of no known scale.</exception>
    public static Detector FindDetector(FitsFile raw, CameraModel camera)
    {
        string name = raw[0].Header.GetString("DETNAME");
        Detector full;
        try { full = camera[name]; }
        catch (KeyNotFoundException) { throw new FitsFormatException(raw.Name, 0, -1, "DETNAME", $"{camera.Name} has no detector '{name}'"); }
        var first = raw.FindHdu(full.Amplifiers[0].ExtName)
                    ?? throw new FitsFormatException(raw.Name, -1, -1, "EXTNAME", $"no {full.Amplifiers[0].ExtName} HDU");
        int rawWidth = full.Layout.RawWidth;
        if (first.Width <= 0 || rawWidth % first.Width != 0 || (rawWidth / first.Width) is not (1 or 2 or 4 or 8))
            throw new FitsFormatException(raw.Name, first.Index, -1, "NAXIS1", $"{full.Amplifiers[0].ExtName} is {first.Width} px wide; {name} segments are {rawWidth} px (or that divided by 2, 4 or 8)");
        int scale = (int)(rawWidth / first.Width);
        try { return camera.Scaled(scale)[name]; }
        catch (ArgumentException e) { throw new FitsFormatException(raw.Name, first.Index, -1, "NAXIS1", e.Message); }
    }

    /// <summary>Every segment HDU of <paramref name="raw"/> is there with the amplifier's raw size (headers only), so
    /// that a segment of another size is named as such before any calibration is compared with the detector.</summary>
    /// <exception cref="FitsFormatException">A segment missing or of another size (file, HDU, EXTNAME and both sizes named).</exception>
    internal static void CheckSegments(FitsFile raw, Detector detector)
    {
        var layout = detector.Layout;
        int scale = (layout.FullSize ?? layout).RawWidth / layout.RawWidth;
        foreach (var amp in detector.Amplifiers)
        {
            var hdu = raw.FindHdu(amp.ExtName)
                      ?? throw new FitsFormatException(raw.Name, -1, -1, "EXTNAME", $"no {amp.ExtName} HDU for amplifier {amp.Name} of {detector.Name}");
            if (hdu.Width != layout.RawWidth || hdu.Height != layout.RawHeight)
                throw new FitsFormatException(raw.Name, hdu.Index, -1, hdu.Width != layout.RawWidth ? "NAXIS1" : "NAXIS2",
                    $"{amp.ExtName} (amplifier {amp.Name}) is {hdu.Width}x{hdu.Height} px; {detector.Name}'s {detector.Vendor} segments"
                    + (scale == 1 ? "" : $" at 1/{scale} scale (from {detector.Amplifiers[0].ExtName}'s width)") + $" are {layout.RawWidth}x{layout.RawHeight} px");
        }
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

    /// <summary>Fails ISR when more than the allowed fraction of a frame's pixels could not be applied.</summary>
    private static void CheckUnusable(string kind, string path, long unusable, long pixels, CalibrationCheckConfig checks)
    {
        if (pixels > 0 && unusable > checks.MaxUnusableFraction * pixels)
            throw new CalibrationException(kind, path,
                FormattableString.Invariant($"{unusable} of {pixels} pixels ({100.0 * unusable / pixels:F1}%) are unusable (a value or variance that is not finite, a negative variance")
                + (kind == "flat" ? FormattableString.Invariant($", or a flat below {checks.MinFlat:R}") : "")
                + FormattableString.Invariant($"); at most {100 * checks.MaxUnusableFraction:F1}% may be (IsrConfig.CalibrationChecks.MaxUnusableFraction)"));
    }

    /// <summary>Gain, read noise and saturation of every amplifier, from the amps calibration or the camera model.</summary>
    private static void CheckAmplifiers(IReadOnlyList<AmplifierCalibration> amps, Detector detector, string kind)
    {
        if (amps.Count != detector.Amplifiers.Count)
            throw new CalibrationException(kind, detector.Name, $"has {amps.Count} amplifiers, {detector.Name} has {detector.Amplifiers.Count}");
        foreach (var a in amps)
        {
            // The pixel passes work in single precision: each value must stay finite (and the gain non-zero) as a float.
            if (!((float)a.Gain > 0) || !float.IsFinite((float)a.Gain))
                throw new CalibrationException(kind, detector.Name, $"{a.Amplifier}: gain {a.Gain} e-/ADU must be finite and > 0 in single precision");
            if (!(a.ReadNoise >= 0) || !float.IsFinite((float)(a.ReadNoise * a.ReadNoise)))
                throw new CalibrationException(kind, detector.Name, $"{a.Amplifier}: read noise {a.ReadNoise} e- must be finite and >= 0 (its square finite in single precision)");
            if (!((float)a.Saturation > 0) || !float.IsFinite((float)a.Saturation))
                throw new CalibrationException(kind, detector.Name, $"{a.Amplifier}: saturation {a.Saturation} ADU must be finite and > 0 in single precision");
        }
    }

    /// <summary>Every crosstalk coefficient finite, and the matrix the amplifiers' size.</summary>
    private static void CheckCrosstalk(double[,] c, Detector detector)
    {
        int n = detector.Amplifiers.Count;
        if (c.GetLength(0) != n || c.GetLength(1) != n)
            throw new CalibrationException("crosstalk", detector.Name, $"is {c.GetLength(0)}x{c.GetLength(1)}, {detector.Name} has {n} amplifiers");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (!double.IsFinite(c[i, j]))
                    throw new CalibrationException("crosstalk", detector.Name, $"coefficient [{detector.Amplifiers[i].Name} -> {detector.Amplifiers[j].Name}] is {c[i, j]}, must be finite");
    }

    /// <summary>Every linearity coefficient finite and &gt;= 0 (and one per amplifier).</summary>
    private static void CheckLinearity(IReadOnlyList<double> k, Detector detector)
    {
        if (k.Count != detector.Amplifiers.Count)
            throw new CalibrationException("linearity", detector.Name, $"has {k.Count} coefficients, {detector.Name} has {detector.Amplifiers.Count} amplifiers");
        for (int a = 0; a < k.Count; a++)
            if (!(k[a] >= 0) || !double.IsFinite(k[a]) || float.IsInfinity((float)k[a]))
                throw new CalibrationException("linearity", detector.Name, $"{detector.Amplifiers[a].Name}: k {k[a]} 1/ADU must be finite and >= 0");
    }

    /// <summary>The last guarantee of ISR's output: a pixel that is neither BAD, SAT, NO_DATA nor UNMASKEDNAN and still
    /// has a non-finite image or variance, or a negative variance, gets BAD (so interpolation replaces it): the check every
    /// warped segment ends with too (<see cref="UnusablePixels"/>). Returns how many pixels were flagged (0 for good inputs).</summary>
    internal static long MaskNonFiniteOrNegativeVariance(MaskedImage science)
    {
        var mask = science.Mask;
        int bad = mask.GetBitMask("BAD");
        int masked = bad | mask.GetBitMask("SAT") | mask.GetBitMask("NO_DATA") | (mask.Planes.ContainsKey("UNMASKEDNAN") ? mask.GetBitMask("UNMASKEDNAN") : 0);
        long flagged = 0;
        for (int y = 0; y < science.BBox.Height; y++)
            flagged += UnusablePixels.Mark(science.Image.Pixels.GetRowSpan(y), science.Variance.Pixels.GetRowSpan(y), mask.Image.Pixels.GetRowSpan(y), masked, bad);
        return flagged;
    }

    private static double RequireTime(FitsHeader primary, string file)
    {
        double t = primary.GetDouble("DARKTIME", double.NaN);
        if (!(t >= 0) || double.IsInfinity(t)) throw new FitsFormatException(file, 0, -1, "DARKTIME", "the raw has no usable DARKTIME: the dark cannot be scaled");
        return t;
    }

    private static IEnumerable<string> Steps(IsrConfig c) =>
        new (bool On, string Name)[]
        {
            (c.Overscan.Enabled, $"overscan {c.Overscan.FitType}"), (c.Saturation.Enabled, "saturation"), (c.Crosstalk.Enabled, "crosstalk"), (c.Linearity.Enabled, "linearity"), (c.Gain.Enabled, "gain"),
            (c.Bias.Enabled, "bias"), (c.Dark.Enabled, "dark"), (c.Defects.Enabled, "defects"), (c.NanMasking.Enabled, "nan"),
            (c.Variance.Enabled, "variance"), (c.Flat.Enabled, "flat"), (c.Interpolation.Enabled, "interpolation"),
        }.Where(s => s.On).Select(s => "ImageCore ISR step: " + s.Name);
}
