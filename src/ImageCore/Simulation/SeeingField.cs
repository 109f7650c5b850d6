using ImageCore.Camera;

namespace ImageCore.Simulation;

/// <summary>
/// A visit's seeing over the focal plane: a round Gaussian PSF whose FWHM changes linearly across the focal plane,
/// FWHM(x, y) = <see cref="FwhmArcsec"/> (1 + <see cref="Gradient"/> (x cos a + y sin a) / 320 mm) at focal-plane
/// position (x, y) mm, a = <see cref="AngleDegrees"/> (the direction in which the seeing worsens). With a gradient of 0
/// the PSF is the same everywhere.
/// </summary>
/// <param name="FwhmArcsec">FWHM at the boresight, arcsec.</param>
/// <param name="Gradient">Fractional change of the FWHM per <see cref="RadiusMm"/> of focal plane.</param>
/// <param name="AngleDegrees">Direction of the gradient on the focal plane, degrees from +x towards +y.</param>
internal readonly record struct SeeingField(double FwhmArcsec, double Gradient, double AngleDegrees)
{
    /// <summary>The focal plane's radius, mm: the gradient's unit of length.</summary>
    public const double RadiusMm = 320;

    /// <summary>FWHM over sigma of a Gaussian, as the simulator has always rounded it (2 sqrt(2 ln 2) = 2.35482).</summary>
    public const double FwhmPerSigma = 2.3548;

    /// <summary>FWHM at focal-plane position (<paramref name="xMm"/>, <paramref name="yMm"/>), arcsec.</summary>
    public double FwhmArcsecAt(double xMm, double yMm)
    {
        var (s, c) = Math.SinCos(AngleDegrees * Math.PI / 180);
        return FwhmArcsec * (1 + Gradient * (xMm * c + yMm * s) / RadiusMm);
    }

    /// <summary>The Gaussian sigma, in <paramref name="camera"/>'s pixels, at pixel (<paramref name="x"/>,
    /// <paramref name="y"/>) of <paramref name="detector"/>.</summary>
    public double SigmaPixels(CameraModel camera, Detector detector, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(camera);
        var (fx, fy) = camera.PixelToFocalPlane(detector, x, y);
        return FwhmArcsecAt(fx, fy) / FwhmPerSigma / camera.PixelScaleArcsec;
    }
}
