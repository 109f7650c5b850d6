using ImageCore.Psf;

namespace ImageCore.Warp;

/// <summary>
/// How to PSF-match a warp to a model PSF (ip_diffim's ModelPsfMatchConfig with MakePsfMatchedWarpTask's LSSTCam
/// settings): an Alard-Lupton basis of Gaussians times polynomials, its weights a Chebyshev polynomial of the position
/// fitted to the science and model PSF images at the centres of square cells (<see cref="ModelPsfMatch"/>).
/// </summary>
public sealed record ModelPsfMatchConfig
{
    /// <summary>The model PSF the warp is matched to: Rubin's GaussianPsfFactory with LSSTCam's FWHM of 9.0 px
    /// (a double Gaussian, 27 px). The simulator keeps the PSF's width in pixels the same at every scale, so 9.0 px holds
    /// at every scale.</summary>
    public GaussianPsfFactory ModelPsf { get; init; } = new() { DefaultFwhm = 9.0 };

    /// <summary>Width and height of the matching kernel, pixels (odd; LSSTCam: 41).</summary>
    public int KernelSize { get; init; } = 41;

    /// <summary>Sigmas of the basis Gaussians, pixels (MakePsfMatchedWarpConfig: 1.0, 2.0, 4.5).</summary>
    public IReadOnlyList<double> BasisSigmas { get; init; } = [1.0, 2.0, 4.5];

    /// <summary>Polynomial degree that multiplies each Gaussian, in kernel coordinates scaled to [-1, 1]
    /// (4, 2, 2: 15 + 6 + 6 = 27 basis kernels).</summary>
    public IReadOnlyList<int> BasisDegrees { get; init; } = [4, 2, 2];

    /// <summary>Order of the Chebyshev polynomial of the position that each basis weight but the first follows (0..2;
    /// Rubin: 2, six terms).</summary>
    public int SpatialOrder { get; init; } = 2;

    /// <summary>Side of the square cells, pixels, over the region grown by one cell; one candidate per cell.</summary>
    public int CellSize { get; init; } = 128;

    /// <summary>Pad the PSF stamps to the next odd size at or above <see cref="AutoPadPsfTo"/> x <see cref="KernelSize"/>
    /// (59 px for 41), so that the fit has pixels where the whole kernel lies on the stamp.</summary>
    public bool AutoPadPsf { get; init; } = true;

    /// <summary>Stamp size over kernel size when <see cref="AutoPadPsf"/> is set (ip_diffim: 1.4).</summary>
    public double AutoPadPsfTo { get; init; } = 1.4;

    /// <summary>Apply the kernel as Rubin's ModelPsfMatchTask does: the kernel-sum coefficient c_0 set to 1 (the other
    /// weights kept), then normalised. This adds (1 - c_0) B_0, a sigma = 1 px Gaussian, to the fitted kernel, and the
    /// matched FWHM misses the model's by up to 10% for 3 px seeing (docs/psf-matching.md). False (the default)
    /// normalises the fitted kernel as it is, which keeps its shape and the flux just the same.</summary>
    public bool ForceKernelSum { get; init; }

    /// <summary>Checks every value, naming it under <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">A value out of range.</exception>
    public void Validate(string path = nameof(ModelPsfMatchConfig))
    {
        string p = path + ".";
        ConfigChecks.NotNull(ModelPsf, p + nameof(ModelPsf)).Validate(p + nameof(ModelPsf));
        ConfigChecks.OddInRange(KernelSize, 3, 201, p + nameof(KernelSize));
        ConfigChecks.NotNull(BasisSigmas, p + nameof(BasisSigmas));
        ConfigChecks.NotNull(BasisDegrees, p + nameof(BasisDegrees));
        if (BasisSigmas.Count is < 1 or > 8)
            throw new ConfigException(p + nameof(BasisSigmas), BasisSigmas.Count, "must hold 1..8 sigmas");
        if (BasisDegrees.Count != BasisSigmas.Count)
            throw new ConfigException(p + nameof(BasisDegrees), BasisDegrees.Count, $"must hold one degree per sigma ({BasisSigmas.Count})");
        for (int i = 0; i < BasisSigmas.Count; i++)
        {
            ConfigChecks.FiniteInRange(BasisSigmas[i], 0.1, KernelSize, $"{p}{nameof(BasisSigmas)}[{i}]");
            ConfigChecks.InRange(BasisDegrees[i], 0, 8, $"{p}{nameof(BasisDegrees)}[{i}]");
        }
        ConfigChecks.InRange(SpatialOrder, 0, 2, p + nameof(SpatialOrder));
        ConfigChecks.InRange(CellSize, 16, 4096, p + nameof(CellSize));
        ConfigChecks.FiniteInRange(AutoPadPsfTo, 1.0, 10.0, p + nameof(AutoPadPsfTo));
    }

    /// <summary>The side of the PSF stamps the fit uses for a model PSF of <paramref name="modelSize"/> pixels: the model's
    /// size, or with <see cref="AutoPadPsf"/> the next odd integer at or above <see cref="AutoPadPsfTo"/> x
    /// <see cref="KernelSize"/> if larger.</summary>
    public int StampSize(int modelSize)
    {
        if (!AutoPadPsf) return modelSize;
        int pad = (int)Math.Ceiling(AutoPadPsfTo * KernelSize - 1e-9);
        if (pad % 2 == 0) pad++;
        return Math.Max(modelSize, pad);
    }
}
