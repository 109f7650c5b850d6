namespace ImageCore.Psf;

/// <summary>
/// Model PSFs from a FWHM (meas_algorithms' GaussianPsfFactory, which PSF matching uses for its target): a
/// <see cref="DoubleGaussianPsf"/> with a wing <see cref="WingFwhmFactor"/> times wider and <see cref="WingAmplitude"/>
/// times fainter at the centre, or a <see cref="GaussianPsf"/> without it; the kernel is <see cref="Size"/> pixels, or
/// <see cref="SizeFactor"/> times the FWHM made odd and kept within <see cref="MinSize"/>..<see cref="MaxSize"/>.
/// </summary>
public sealed record GaussianPsfFactory
{
    /// <summary>Kernel width and height, pixels; null to size it from the FWHM.</summary>
    public int? Size { get; init; }

    /// <summary>Kernel size over the FWHM where <see cref="Size"/> is null.</summary>
    public double SizeFactor { get; init; } = 3.0;

    /// <summary>Smallest kernel size when sized from the FWHM, pixels; null for no limit.</summary>
    public int? MinSize { get; init; } = 5;

    /// <summary>Largest kernel size when sized from the FWHM, pixels; null for no limit.</summary>
    public int? MaxSize { get; init; }

    /// <summary>FWHM of the core when none is given, pixels.</summary>
    public double DefaultFwhm { get; init; } = 3.0;

    /// <summary>Add the wing (a <see cref="DoubleGaussianPsf"/>); false gives a <see cref="GaussianPsf"/>.</summary>
    public bool AddWing { get; init; } = true;

    /// <summary>The wing's width over the core's.</summary>
    public double WingFwhmFactor { get; init; } = 2.5;

    /// <summary>The wing's amplitude at the centre over the core's.</summary>
    public double WingAmplitude { get; init; } = 0.1;

    /// <summary>Checks every value, naming it under <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">A value out of range.</exception>
    public void Validate(string path = nameof(GaussianPsfFactory))
    {
        string p = path + ".";
        if (Size is int size) ConfigChecks.OddInRange(size, 1, 1001, p + nameof(Size));
        ConfigChecks.FinitePositive(SizeFactor, 100, p + nameof(SizeFactor));
        if (MinSize is int min) ConfigChecks.OddInRange(min, 1, 1001, p + nameof(MinSize));
        if (MaxSize is int max) ConfigChecks.OddInRange(max, 1, 1001, p + nameof(MaxSize));
        if (MinSize is int lo && MaxSize is int hi && lo > hi) throw new ConfigException(p + nameof(MinSize), lo, $"must be <= {p}{nameof(MaxSize)} ({hi})");
        ConfigChecks.FinitePositive(DefaultFwhm, 1000, p + nameof(DefaultFwhm));
        ConfigChecks.FinitePositive(WingFwhmFactor, 100, p + nameof(WingFwhmFactor));
        ConfigChecks.FinitePositive(WingAmplitude, 100, p + nameof(WingAmplitude));
    }

    /// <summary>The kernel size and core sigma for <paramref name="fwhm"/> (pixels; <see cref="DefaultFwhm"/> when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fwhm"/> is not finite and &gt; 0.</exception>
    public (int Size, double Sigma) ComputeSizeAndSigma(double? fwhm = null)
    {
        double f = fwhm ?? DefaultFwhm;
        if (!(f > 0) || !double.IsFinite(f)) throw new ArgumentOutOfRangeException(nameof(fwhm), $"FWHM {f} must be finite and > 0");
        int size = Size ?? Math.Clamp((int)(SizeFactor * f) / 2 * 2 + 1, MinSize ?? 1, MaxSize ?? 1001);
        return (size, f / PsfMoments.FwhmPerSigma);
    }

    /// <summary>The model PSF of core FWHM <paramref name="fwhm"/> (pixels; <see cref="DefaultFwhm"/> when null).</summary>
    /// <exception cref="ConfigException">The factory's values are out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fwhm"/> is not finite and &gt; 0.</exception>
    public IPsf Apply(double? fwhm = null)
    {
        Validate();
        var (size, sigma) = ComputeSizeAndSigma(fwhm);
        return AddWing ? new DoubleGaussianPsf(size, sigma, sigma * WingFwhmFactor, WingAmplitude) : new GaussianPsf(size, sigma);
    }
}
