using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Geometry;
using ImageCore.Images;
using ImageCore.Isr;
using ImageCore.Simulation;

namespace ImageCore.Benchmarks.Isr;

/// <summary>
/// ISR of one full-size ITL detector (R20_S12, 4072 x 4000 trimmed, simulated in the setup), one thread,
/// no file I/O. The per-pixel pass after crosstalk (parallel overscan, linearity, gain, trim, bias, dark, NaN
/// mask, variance, flat) three ways: fused and vectorized, its scalar reference, and the naive form that runs
/// the library's one-step-per-pass functions. Two memory-bandwidth probes give the lower bound:
/// the fused pass must read 44 bytes per pixel (raw, its mask, and image, variance and mask of bias, dark and
/// flat) and write 12 (image, variance, mask). <see cref="WholeIsr"/> is the whole ISR after the raw read,
/// from a fresh copy of the assembled raw (a 66 MB copy included) to the post-ISR exposure.
/// </summary>
[MemoryDiagnoser]
public class IsrBenchmarks
{
    private const int ProbeFloats = 1 << 26;   // 256 MiB per probe stream: at 64 MiB a copy still gains from the cache here
    private string _dir = "";
    private Detector _detector = null!;
    private FitsHeader _primary = null!;
    private Image<float> _pristine = null!, _work = null!, _stage = null!;
    private Mask _stageMask = null!;
    private float[][] _columnLevels = [];
    private IReadOnlyList<double> _linearity = [];
    private Exposure _bias = null!, _dark = null!, _flat = null!;
    private MaskedImage _science = null!, _naive = null!;
    private MemoryCalibrations _calibrations = null!;
    private float _darkScale;
    private int _nanBit, _badBit;
    private readonly ParallelOptions _oneThread = new() { MaxDegreeOfParallelism = 1 };
    private float[] _a = [], _b = [], _c = [], _d = [], _e = [];

    /// <summary>Simulates the detector, reads everything, and runs ISR up to the per-pixel pass once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "imagecore-isr-bench-" + Environment.ProcessId);
        var sim = Simulator.Run(_dir, new SimulationConfig { Detectors = "R20_S12", Scale = 1, Seed = 9 });
        using var raw = FitsFile.Open(sim.Raws[0]);
        _primary = raw[0].Header;
        _detector = IsrTask.FindDetector(raw, CameraModel.LsstCam);
        var source = new CalibrationDirectory(Path.Combine(_dir, "calib"));
        // The directory's leases own what they read: the frames are taken over here and disposed in Cleanup.
        _bias = source.GetBias(_detector).Value;
        _dark = source.GetDark(_detector).Value;
        _flat = source.GetFlat(_detector, "r").Value;
        _linearity = source.GetLinearity(_detector).Value;
        _calibrations = new MemoryCalibrations(source.GetCrosstalk(_detector).Value, _linearity, source.GetDefects(_detector).Value);
        _pristine = RawAssembly.ReadUntrimmed(raw, _detector);
        _work = _pristine.Clone();

        var config = new IsrConfig();
        _stage = _pristine.Clone();
        _stageMask = new Mask(new Image<int>(_detector.RawBBox));
        IsrTask.SerialOverscanAndSaturation(_stage, _stageMask, _detector, config, _oneThread);
        Crosstalk.Subtract(_stage, _detector, _calibrations.GetCrosstalk(_detector).Value);
        _columnLevels = IsrTask.MeasureParallelOverscan(_stage, _stageMask, _detector, config, _oneThread);
        _darkScale = (float)IsrTask.DarkScale(config.Dark, _primary, raw.Name, _dark.Metadata);
        var box = _detector.BBox;
        _science = new MaskedImage(box.Width, box.Height, box.Min);
        _naive = new MaskedImage(box.Width, box.Height, box.Min);
        _nanBit = 1 << _science.Mask.AddPlane("UNMASKEDNAN");
        _badBit = _science.Mask.GetBitMask("BAD");

        var rng = new Random(3);
        foreach (var probe in new[] { _a = new float[ProbeFloats], _b = new float[ProbeFloats], _c = new float[ProbeFloats], _d = new float[ProbeFloats], _e = new float[ProbeFloats] })
            for (int i = 0; i < probe.Length; i++) probe[i] = (float)rng.NextDouble();
    }

    /// <summary>Frees the planes and the simulated files.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in new IDisposable[] { _pristine, _work, _stage, _stageMask, _bias, _dark, _flat, _science, _naive }) d.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The fused, vectorized per-pixel pass.</summary>
    [Benchmark(Baseline = true)]
    public void FusedPass() =>
        IsrTask.CalibrateInto(_stage, _stageMask, _detector, _columnLevels, _linearity, _bias, _dark, _flat,
                              _darkScale, _nanBit, _badBit, _science, _oneThread, scalarReference: false);

    /// <summary>The same pass, its scalar reference.</summary>
    [Benchmark]
    public void ScalarReference() =>
        IsrTask.CalibrateInto(_stage, _stageMask, _detector, _columnLevels, _linearity, _bias, _dark, _flat,
                              _darkScale, _nanBit, _badBit, _science, _oneThread, scalarReference: true);

    /// <summary>The same steps one pass each (trim first, so every pass covers only the imaging pixels).</summary>
    [Benchmark]
    public void NaivePasses()
    {
        var mi = _naive;
        mi.Variance.Pixels.Clear();
        foreach (var amp in _detector.Amplifiers)
        {
            _stage.View(amp.RawDataBBox).CopyTo(mi.Image.View(amp.BBox));
            _stageMask.Image.View(amp.RawDataBBox).CopyTo(mi.Mask.Image.View(amp.BBox));
        }
        for (int a = 0; a < _detector.Amplifiers.Count; a++)
        {
            var amp = _detector.Amplifiers[a];
            ParallelOverscan.SubtractColumns(mi.Image.View(amp.BBox), _columnLevels[a]);
            Linearity.Correct(mi.Image.View(amp.BBox), _linearity[a]);
            PixelSteps.ApplyGain(mi.Image.View(amp.BBox), mi.Variance.View(amp.BBox), amp.Gain);
        }
        CalibrationSteps.SubtractBias(mi, _bias.MaskedImage);
        CalibrationSteps.SubtractDark(mi, _dark.MaskedImage, _darkScale, 1);
        PixelSteps.MaskNonFinite(mi, _nanBit);
        foreach (var amp in _detector.Amplifiers)
            PixelSteps.AddVariance(mi.Image.View(amp.BBox), mi.Variance.View(amp.BBox), mi.Mask.Image.View(amp.BBox), amp.ReadNoise, _badBit);
        CalibrationSteps.DivideFlat(mi, _flat.MaskedImage);
    }

    /// <summary>Bandwidth probe: <c>e = a + b + c + d</c> over 256 MiB streams (4 reads : 1 write, near the
    /// fused pass's 44 : 12 bytes), 1280 MiB moved.</summary>
    [Benchmark]
    public void ProbeRead4Write1()
    {
        ref float a = ref _a[0], b = ref _b[0], c = ref _c[0], d = ref _d[0], e = ref _e[0];
        int step = Vector512<float>.Count;
        for (nuint i = 0; i <= (nuint)(ProbeFloats - step); i += (nuint)step)
            (Vector512.LoadUnsafe(ref a, i) + Vector512.LoadUnsafe(ref b, i) + Vector512.LoadUnsafe(ref c, i) + Vector512.LoadUnsafe(ref d, i)).StoreUnsafe(ref e, i);
    }

    /// <summary>Bandwidth probe: a vector copy of a 256 MiB stream (1 read : 1 write), 512 MiB moved.</summary>
    [Benchmark]
    public void ProbeCopy()
    {
        ref float a = ref _a[0], e = ref _e[0];
        int step = Vector512<float>.Count;
        for (nuint i = 0; i <= (nuint)(ProbeFloats - step); i += (nuint)step) Vector512.LoadUnsafe(ref a, i).StoreUnsafe(ref e, i);
    }

    /// <summary>The whole ISR after the raw read, one thread: serial overscan, SAT/SUSPECT, crosstalk, parallel
    /// overscan, the fused pass, defects and interpolation, from a fresh copy of the assembled raw.</summary>
    [Benchmark]
    public void WholeIsr()
    {
        _pristine.Pixels.CopyTo(_work.Pixels);
        using var exposure = IsrTask.Process(_work, _primary, "bench", _detector, _calibrations, "r", new IsrConfig(), _oneThread, fused: true,
                                             () => (CalibrationFrame.InMemory(_bias), CalibrationFrame.InMemory(_dark), CalibrationFrame.InMemory(_flat)));
    }

    /// <summary>Crosstalk, linearity, defects and the camera's amplifier values held in memory (the frames are handed over directly).</summary>
    private sealed class MemoryCalibrations(double[,] crosstalk, IReadOnlyList<double> linearity, IReadOnlyList<Box2I> defects) : ICalibrationSource
    {
        public CalibrationLease<Exposure> GetBias(Detector detector) => throw new NotSupportedException("frames are passed to IsrTask.Process");
        public CalibrationLease<Exposure> GetDark(Detector detector) => throw new NotSupportedException("frames are passed to IsrTask.Process");
        public CalibrationLease<Exposure> GetFlat(Detector detector, string band) => throw new NotSupportedException("frames are passed to IsrTask.Process");
        public CalibrationLease<IReadOnlyList<Box2I>> GetDefects(Detector detector) => CalibrationLease.Borrowing(defects);
        public CalibrationLease<double[,]> GetCrosstalk(Detector detector) => CalibrationLease.Borrowing(crosstalk);
        public CalibrationLease<IReadOnlyList<double>> GetLinearity(Detector detector) => CalibrationLease.Borrowing(linearity);
        public CalibrationLease<IReadOnlyList<AmplifierCalibration>> GetAmplifiers(Detector detector) =>
            CalibrationLease.Borrowing<IReadOnlyList<AmplifierCalibration>>(detector.Amplifiers.Select(a => new AmplifierCalibration(a.Name, a.Gain, a.ReadNoise, a.Saturation)).ToList());
    }
}
