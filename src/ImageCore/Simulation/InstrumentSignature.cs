using CommunityToolkit.HighPerformance;
using ImageCore.Camera;
using ImageCore.Memory;

namespace ImageCore.Simulation;

/// <summary>Instrument parameters of one simulated exposure of one detector.</summary>
public sealed record SignatureConfig
{
    /// <summary>Mean bias level of the amplifiers, ADU (each amplifier draws its own around it).</summary>
    public double BiasLevelAdu { get; init; } = 20000;

    /// <summary>Spread of the per-amplifier bias levels, ADU.</summary>
    public double BiasLevelSpreadAdu { get; init; } = 500;

    /// <summary>Row-correlated bias noise shared by a row's data and overscan pixels, ADU rms.</summary>
    public double RowNoiseAdu { get; init; } = 2;

    /// <summary>Dark time of the exposure, s.</summary>
    public double DarkTime { get; init; } = 30;
}

/// <summary>
/// The forward model of the instrument signature that ISR removes: from the expected image in
/// electrons (the truth, flat-fielded) to raw int32 segments in ADU. Per pixel: expected electrons
/// times the flat response plus dark current times the dark time, a Poisson draw, Gaussian read
/// noise, divided by the amplifier gain, plus the amplifier's bias level and a row offset common to
/// the row's data and overscan; the signal clips at <see cref="FullWellOverSaturation"/> times the
/// amplifier's saturation above the row's bias level, then bends with the amplifier's quadratic
/// non-linearity; crosstalk adds c[source, target] times the source
/// amplifier's signal at the same file position. Prescan and overscan pixels
/// carry bias, row offset and read noise only. Segments are written in file orientation (the flips of
/// the camera undone), ready for <see cref="RawFile.Write"/>.
/// </summary>
internal static class InstrumentSignature
{
    /// <summary>Where the simulated signal clips, as a multiple of the amplifier's saturation (ADU above bias).</summary>
    public const double FullWellOverSaturation = 1.05;

    /// <summary>Makes the 16 raw segments of <paramref name="detector"/>.</summary>
    /// <param name="detector">The detector (its layout may be scaled).</param>
    /// <param name="expectedElectrons">Truth: the expected post-ISR image, e-, of <see cref="Detector.BBox"/>.</param>
    /// <param name="flatResponse">Relative response per pixel (the master flat), same size.</param>
    /// <param name="darkCurrent">Dark current per pixel, e-/s, same size.</param>
    /// <param name="biasStructure">The 2-D bias pattern left after overscan subtraction, e-, same size
    /// (what the master bias records).</param>
    /// <param name="config">Bias levels, row noise, dark time.</param>
    /// <param name="noise">The seeded noise source.</param>
    /// <param name="crosstalk">Coefficients [source, target] in amplifier order (ADU per ADU), or null for none.</param>
    /// <param name="nonLinearity">Per-amplifier k of <c>measured = true (1 - k true)</c> (1/ADU), or null for a linear response.</param>
    /// <returns>Segments in <see cref="Detector.Amplifiers"/> order; the caller disposes them.</returns>
    /// <exception cref="ArgumentException">An input is not the detector's size.</exception>
    public static List<Plane<int>> MakeRawSegments(Detector detector, ReadOnlySpan2D<float> expectedElectrons, ReadOnlySpan2D<float> flatResponse,
                                                   ReadOnlySpan2D<float> darkCurrent, ReadOnlySpan2D<float> biasStructure,
                                                   SignatureConfig config, Noise noise, double[,]? crosstalk = null,
                                                   IReadOnlyList<double>? nonLinearity = null)
    {
        var box = detector.BBox;
        foreach (var (w, h, what) in new[] { (expectedElectrons.Width, expectedElectrons.Height, "expected image"),
                                             (flatResponse.Width, flatResponse.Height, "flat"), (darkCurrent.Width, darkCurrent.Height, "dark"),
                                             (biasStructure.Width, biasStructure.Height, "bias structure") })
            if (w != box.Width || h != box.Height)
                throw new ArgumentException($"{detector.Name}: the {what} is {w}x{h} px, the detector {box.Width}x{box.Height}");

        var layout = detector.Layout;
        int n = detector.Amplifiers.Count;
        if (crosstalk is not null && (crosstalk.GetLength(0) != n || crosstalk.GetLength(1) != n))
            throw new ArgumentException($"{detector.Name}: crosstalk is {crosstalk.GetLength(0)}x{crosstalk.GetLength(1)}, needs {n}x{n}");

        // Pass 1: each amplifier's signal in ADU, in file orientation, clipped at the full well.
        var signal = new float[n][];
        for (int a = 0; a < n; a++)
        {
            var amp = detector.Amplifiers[a];
            var sig = signal[a] = new float[layout.RawWidth * layout.RawHeight];
            double fullWell = FullWellOverSaturation * amp.Saturation;
            for (int dy = 0; dy < layout.Data.Height; dy++)
                for (int dx = 0; dx < layout.Data.Width; dx++)
                {
                    // The file pixel's place in the trimmed detector image (the camera's flips).
                    int tx = amp.BBox.MinX + (amp.FlipX ? layout.Data.Width - 1 - dx : dx);
                    int ty = amp.BBox.MinY + (amp.FlipY ? layout.Data.Height - 1 - dy : dy);
                    double electrons = expectedElectrons[ty, tx] * flatResponse[ty, tx] + darkCurrent[ty, tx] * config.DarkTime;
                    double adu = (noise.Poisson(electrons) + biasStructure[ty, tx]) / amp.Gain;
                    double clipped = Math.Min(adu, fullWell);
                    sig[(layout.Data.MinY + dy) * layout.RawWidth + layout.Data.MinX + dx] =
                        (float)(nonLinearity is null ? clipped : Isr.Linearity.Apply(clipped, nonLinearity[a]));
                }
        }

        // Pass 2: crosstalk. Amplifiers are read in step, so a source pixel couples into the target pixel
        // at the same file position: target += c[source, target] * source (ADU).
        var coupled = new float[n][];
        for (int t = 0; t < n; t++)
        {
            coupled[t] = (float[])signal[t].Clone();
            if (crosstalk is null) continue;
            for (int src = 0; src < n; src++)
            {
                double c = crosstalk[src, t];
                if (src == t || c == 0) continue;
                var from = signal[src];
                var to = coupled[t];
                for (int i = 0; i < to.Length; i++) to[i] += (float)(c * from[i]);
            }
        }

        // Pass 3: bias level, row-correlated offsets, read noise, and the ADC's view of it.
        var segments = new List<Plane<int>>();
        for (int a = 0; a < n; a++)
        {
            var amp = detector.Amplifiers[a];
            var seg = new Plane<int>(layout.RawWidth, layout.RawHeight);
            segments.Add(seg);
            double bias = config.BiasLevelAdu + config.BiasLevelSpreadAdu * noise.Gaussian();
            double readAdu = amp.ReadNoise / amp.Gain;
            for (int fy = 0; fy < layout.RawHeight; fy++)
            {
                double rowLevel = bias + config.RowNoiseAdu * noise.Gaussian();
                var row = seg.GetRowSpan(fy);
                for (int fx = 0; fx < layout.RawWidth; fx++)
                    row[fx] = (int)Math.Round(rowLevel + readAdu * noise.Gaussian() + coupled[a][fy * layout.RawWidth + fx]);
            }
        }
        return segments;
    }
}
