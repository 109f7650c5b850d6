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
/// amplifier's saturation above the row's bias level. Prescan and overscan pixels
/// carry bias, row offset and read noise only. Segments are written in file orientation (the flips of
/// the camera undone), ready for <see cref="RawFile.Write"/>.
/// </summary>
public static class InstrumentSignature
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
    /// <returns>Segments in <see cref="Detector.Amplifiers"/> order; the caller disposes them.</returns>
    /// <exception cref="ArgumentException">An input is not the detector's size.</exception>
    public static List<Plane<int>> MakeRawSegments(Detector detector, ReadOnlySpan2D<float> expectedElectrons, ReadOnlySpan2D<float> flatResponse,
                                                   ReadOnlySpan2D<float> darkCurrent, ReadOnlySpan2D<float> biasStructure,
                                                   SignatureConfig config, Noise noise)
    {
        var box = detector.BBox;
        foreach (var (w, h, what) in new[] { (expectedElectrons.Width, expectedElectrons.Height, "expected image"),
                                             (flatResponse.Width, flatResponse.Height, "flat"), (darkCurrent.Width, darkCurrent.Height, "dark"),
                                             (biasStructure.Width, biasStructure.Height, "bias structure") })
            if (w != box.Width || h != box.Height)
                throw new ArgumentException($"{detector.Name}: the {what} is {w}x{h} px, the detector {box.Width}x{box.Height}");

        var layout = detector.Layout;
        var segments = new List<Plane<int>>();
        foreach (var amp in detector.Amplifiers)
        {
            var seg = new Plane<int>(layout.RawWidth, layout.RawHeight);
            segments.Add(seg);
            double bias = config.BiasLevelAdu + config.BiasLevelSpreadAdu * noise.Gaussian();
            double readAdu = amp.ReadNoise / amp.Gain;
            for (int fy = 0; fy < layout.RawHeight; fy++)
            {
                double rowLevel = bias + config.RowNoiseAdu * noise.Gaussian();
                var row = seg.GetRowSpan(fy);
                for (int fx = 0; fx < layout.RawWidth; fx++)
                {
                    double adu = rowLevel + readAdu * noise.Gaussian();
                    if (layout.Data.Contains(new Images.Point2I(fx, fy)))
                    {
                        // The file pixel's place in the trimmed detector image (the camera's flips).
                        int dx = fx - layout.Data.MinX, dy = fy - layout.Data.MinY;
                        int tx = amp.BBox.MinX + (amp.FlipX ? layout.Data.Width - 1 - dx : dx);
                        int ty = amp.BBox.MinY + (amp.FlipY ? layout.Data.Height - 1 - dy : dy);
                        double electrons = expectedElectrons[ty, tx] * flatResponse[ty, tx] + darkCurrent[ty, tx] * config.DarkTime;
                        adu += (noise.Poisson(electrons) + biasStructure[ty, tx]) / amp.Gain;
                    }
                    // The full well: signal saturates 5% above the amplifier's nominal saturation level.
                    row[fx] = (int)Math.Round(Math.Min(adu, rowLevel + FullWellOverSaturation * amp.Saturation));
                }
            }
        }
        return segments;
    }
}
