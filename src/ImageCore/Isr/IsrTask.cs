using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Images;
using ImageCore.Memory;

namespace ImageCore.Isr;

/// <summary>
/// Runs instrument signature removal on one raw detector file: per amplifier serial overscan,
/// saturation masking, crosstalk, linearity and gain on the assembled untrimmed image; then trim, bias, dark, defects, NaN
/// masking, variance, flat and interpolation on the detector image. Returns the post-ISR exposure in electrons.
/// </summary>
public static partial class IsrTask
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

    /// <summary>DARKTIME(science) / DARKTIME(dark) (1 when not scaling).</summary>
    internal static double DarkScale(DarkConfig config, FitsHeader primary, string rawName, FitsHeader darkMetadata)
    {
        if (!config.ScaleByDarkTime) return 1;
        double darkTime = darkMetadata.GetDouble("DARKTIME", 1);
        if (!(darkTime > 0) || double.IsInfinity(darkTime)) throw new CalibrationException("dark", darkMetadata.Source, $"DARKTIME {darkTime} s must be finite and > 0");
        return RequireTime(primary, rawName) / darkTime;
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
