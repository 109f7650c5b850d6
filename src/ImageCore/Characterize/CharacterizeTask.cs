using ImageCore.Fits;
using ImageCore.Images;

namespace ImageCore.Characterize;

/// <summary>
/// The core of Rubin's calibrateImage on one post-ISR exposure, in place: (1) the sky background measured on a mesh of
/// bins (saturated and bad pixels left out) and subtracted; (2) cosmic rays found, flagged CR and repaired (INTRP);
/// the sources detected at the final threshold with the first-guess PSF and the background measured again without
/// them; (3) bright sources detected with a first-guess Gaussian PSF (<see cref="CharacterizeConfig.InitialPsfFwhm"/>);
/// (4) PSF stars selected among them and the PSF model fitted, set as <see cref="Exposure.Psf"/>; (5) the final
/// detection with the measured PSF's width, which leaves DETECTED set on the sources. A few keywords summarise the
/// result in the exposure's metadata. An exposure with too few PSF stars fails with a
/// <see cref="PsfMeasurementException"/> naming it, never a NaN model.
/// </summary>
public static class CharacterizeTask
{
    /// <summary>FWHM over sigma of a Gaussian, 2 sqrt(2 ln 2).</summary>
    public const double FwhmPerSigma = 2.3548200450309493;

    /// <summary>Characterizes <paramref name="exposure"/> in place (image, mask, variance, metadata and PSF).</summary>
    /// <param name="exposure">A post-ISR exposure (electrons); its image becomes background-subtracted.</param>
    /// <param name="config">The steps' settings (validated here).</param>
    /// <param name="maxDegreeOfParallelism">Threads for the pixel passes (1 when quanta run concurrently).</param>
    /// <param name="cancel">Stops between and within the steps.</param>
    /// <returns>The background model (to restore or store the sky) and what each step found.</returns>
    /// <exception cref="ConfigException">A bad setting.</exception>
    /// <exception cref="PsfMeasurementException">Too few usable PSF stars.</exception>
    public static CharacterizeResult Run(Exposure exposure, CharacterizeConfig config, int maxDegreeOfParallelism = 1, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        var image = exposure.MaskedImage;

        var background = BackgroundModel.Measure(image, config.Background, maxDegreeOfParallelism, cancel);
        background.SubtractFrom(image, maxDegreeOfParallelism);
        cancel.ThrowIfCancellationRequested();

        var cosmicRays = CosmicRays.FindAndRepair(image, config.CosmicRays, maxDegreeOfParallelism, cancel);
        cancel.ThrowIfCancellationRequested();

        // The background again, with the sources found at the final threshold (DETECTED, grown) left out of its bins, so
        // that their wings do not lift the sky under them (afw's re-estimate after detection).
        double initialSigma = config.InitialPsfFwhm / FwhmPerSigma;
        SourceDetection.Detect(image, initialSigma, config.Detection, maxDegreeOfParallelism, cancel);
        background.AddTo(image, maxDegreeOfParallelism);
        background = BackgroundModel.Measure(image, config.Background, maxDegreeOfParallelism, cancel);
        background.SubtractFrom(image, maxDegreeOfParallelism);
        cancel.ThrowIfCancellationRequested();

        var candidates = SourceDetection.Detect(image, initialSigma, config.PsfDetection, maxDegreeOfParallelism, cancel);
        cancel.ThrowIfCancellationRequested();

        var psf = PsfDeterminer.Measure(exposure, candidates.Footprints, config.Psf, initialSigma, cancel);
        var box = exposure.BBox;
        double centreX = box.MinX + (box.Width - 1) / 2.0, centreY = box.MinY + (box.Height - 1) / 2.0;
        double fwhm = psf.Psf.ComputeFwhm(centreX, centreY);
        if (!(fwhm > 0) || !double.IsFinite(fwhm))
            throw new PsfMeasurementException(PsfMeasurementException.Describe(exposure), $"the PSF model's FWHM at the centre is {fwhm}");
        exposure.Psf = psf.Psf;
        cancel.ThrowIfCancellationRequested();

        var detections = SourceDetection.Detect(image, fwhm / FwhmPerSigma, config.Detection, maxDegreeOfParallelism, cancel);

        var header = exposure.Metadata;
        header.Set("BGMEAN", MeanOf(background), "mean of the background bins subtracted, image units");
        header.Set("NCRHITS", cosmicRays.Hits, "cosmic rays found and repaired");
        header.Set("NCRPIX", cosmicRays.Pixels, "pixels flagged CR");
        header.Set("PSFFWHM", fwhm, "PSF model FWHM at the image centre, pixels");
        header.Set("NPSFSTAR", psf.Fit.StarsUsed, "stars the PSF model was fitted to");
        header.Set("NDETECT", detections.Footprints.Count, "sources detected with the PSF model");
        return new CharacterizeResult(background, cosmicRays, candidates.Footprints.Count, psf, fwhm, detections);
    }

    /// <summary>The mean of the model's bin values.</summary>
    public static double MeanOf(BackgroundModel background)
    {
        ArgumentNullException.ThrowIfNull(background);
        double sum = 0;
        var values = background.GetBinValues();
        foreach (float v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>Writes a characterized exposure to <paramref name="path"/> (a temporary name renamed when complete): the
    /// exposure's HDUs (IMAGE, MASK, VARIANCE, PSF) followed by the BACKGROUND model (<see cref="BackgroundFits"/>), so
    /// the sky can be restored. An existing file is replaced, as <see cref="ExposureFits.Write(string, Exposure)"/> does.</summary>
    /// <exception cref="IOException">The file cannot be written; nothing is left at <paramref name="path"/>.</exception>
    public static void Write(string path, Exposure exposure, BackgroundModel background, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        ArgumentNullException.ThrowIfNull(background);
        FitsWriter.Write(path, writer =>
        {
            ExposureFits.Write(writer, exposure);
            cancel.ThrowIfCancellationRequested();
            BackgroundFits.Write(writer, background);
        }, overwrite: true, cancel);
    }
}

/// <summary>What <see cref="CharacterizeTask.Run"/> found.</summary>
/// <param name="Background">The subtracted background model.</param>
/// <param name="CosmicRays">The cosmic rays found and repaired.</param>
/// <param name="PsfCandidates">Sources detected with the initial PSF (the PSF candidates' footprints).</param>
/// <param name="Psf">The PSF measurement (model, star selection and fit).</param>
/// <param name="PsfFwhm">The model's FWHM at the image centre, pixels.</param>
/// <param name="Detections">The final detection with the measured PSF.</param>
public sealed record CharacterizeResult(BackgroundModel Background, CosmicRayResult CosmicRays, int PsfCandidates, PsfDeterminerResult Psf, double PsfFwhm,
                                        DetectionResult Detections);
