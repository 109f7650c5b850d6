using System.Numerics;
using CommunityToolkit.HighPerformance;
using ImageCore.Memory;

namespace ImageCore.Fits;

/// <summary>
/// One-call FITS reading and writing, after astropy.io.fits' <c>getdata</c>, <c>getheader</c> and <c>writeto</c>:
/// each call opens the file, does one thing and closes it. Pixels come back as a <see cref="Plane{T}"/> of physical
/// values (BZERO/BSCALE applied, BLANK as NaN for float types) that the caller owns; <c>ImageCore.Images.ImageFits</c>
/// gives the same calls for <c>Image&lt;T&gt;</c> with its xy0 (this namespace sits below Images and cannot name it).
/// Writes go to a temporary name and are renamed when complete, so a failed or cancelled write leaves nothing.
/// </summary>
/// <remarks>
/// Inside a namespace of ImageCore itself, <c>Fits</c> names the namespace <c>ImageCore.Fits</c>: write
/// <c>ImageCore.Fits.Fits.ReadImage</c> there, or alias the class. Code with <c>using ImageCore.Fits;</c> in its own
/// namespace writes <c>Fits.ReadImage</c>.
/// </remarks>
public static class Fits
{
    /// <summary>Reads the pixels of a file's image, as astropy's <c>getdata</c> chooses it: the primary HDU, or HDU 1
    /// when the primary has no pixels (the usual multi-extension layout).</summary>
    /// <typeparam name="T">The pixel type wanted: the stored type, its unsigned twin, float, double, or an integer type
    /// that holds every physical value.</typeparam>
    /// <param name="path">The FITS file.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new pooled plane the caller owns (dispose it); rows are NAXIS2..NAXISn flattened.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FitsFormatException">Not a FITS file; the chosen HDU is not an image or holds no pixels.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Plane<T> ReadImage<T>(string path, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        using var file = FitsFile.Open(path);
        return ReadData<T>(file, DataHdu(file), cancel);
    }

    /// <summary>Reads the pixels of HDU <paramref name="hdu"/> (0 is the primary).</summary>
    /// <typeparam name="T">The pixel type wanted (see <see cref="ReadImage{T}(string, CancellationToken)"/>).</typeparam>
    /// <param name="path">The FITS file.</param>
    /// <param name="hdu">Zero-based HDU index.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new pooled plane the caller owns (dispose it).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The file has fewer HDUs (the message names the file).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file; the HDU is not an image or holds no pixels.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Plane<T> ReadImage<T>(string path, int hdu, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        using var file = FitsFile.Open(path);
        return ReadData<T>(file, file.GetHdu(hdu), cancel);
    }

    /// <summary>Reads the pixels of the first HDU named <paramref name="extname"/> (case and trailing blanks ignored, as
    /// in astropy).</summary>
    /// <typeparam name="T">The pixel type wanted (see <see cref="ReadImage{T}(string, CancellationToken)"/>).</typeparam>
    /// <param name="path">The FITS file.</param>
    /// <param name="extname">The EXTNAME.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new pooled plane the caller owns (dispose it).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="KeyNotFoundException">No HDU has that EXTNAME (the message names the file and the name).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file; the HDU is not an image or holds no pixels.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Plane<T> ReadImage<T>(string path, string extname, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        using var file = FitsFile.Open(path);
        return ReadData<T>(file, file.GetHdu(extname), cancel);
    }

    /// <summary>The header of HDU <paramref name="hdu"/>, structural keywords included (astropy's <c>getheader</c>).</summary>
    /// <param name="path">The FITS file.</param>
    /// <param name="hdu">Zero-based HDU index (0, the primary, by default).</param>
    /// <returns>The header, the caller's to change; its <see cref="FitsHeader.Source"/> is the file.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The file has fewer HDUs (the message names the file).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file, or a header up to that HDU is malformed.</exception>
    public static FitsHeader ReadHeader(string path, int hdu = 0)
    {
        using var file = FitsFile.Open(path);
        return file.GetHdu(hdu).Header;
    }

    /// <summary>The header of the first HDU named <paramref name="extname"/> (case and trailing blanks ignored).</summary>
    /// <param name="path">The FITS file.</param>
    /// <param name="extname">The EXTNAME.</param>
    /// <returns>The header, the caller's to change.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="KeyNotFoundException">No HDU has that EXTNAME (the message names the file and the name).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file, or a header is malformed.</exception>
    public static FitsHeader ReadHeader(string path, string extname)
    {
        using var file = FitsFile.Open(path);
        return file.GetHdu(extname).Header;
    }

    /// <summary>Writes a FITS file of one image, the primary HDU, with the cards of <paramref name="header"/>, and
    /// commits it (astropy's <c>writeto</c>). The pixel type sets BITPIX as
    /// <see cref="FitsWriter.WriteImage{T}(FitsHeader?, ReadOnlySpan2D{T}, FitsImageOptions?, CancellationToken)"/> does.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="pixels">The image; rows become NAXIS2.</param>
    /// <param name="header">User cards (structural keywords in it are ignored), or null.</param>
    /// <param name="overwrite">Replace an existing file; false (the default, as in astropy) refuses it.</param>
    /// <param name="cancel">Checked between chunks of pixels and before the rename; a cancelled write leaves nothing.</param>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false (the message
    /// names the path), or writing failed; no file is left under <paramref name="path"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static void WriteImage<T>(string path, ReadOnlySpan2D<T> pixels, FitsHeader? header = null, bool overwrite = false,
                                     CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        cancel.ThrowIfCancellationRequested();
        using var writer = FitsWriter.Create(path, overwrite);
        writer.WriteImage(header, pixels, null, cancel);
        cancel.ThrowIfCancellationRequested();
        writer.Commit();
    }

    /// <summary>As <see cref="WriteImage{T}(string, ReadOnlySpan2D{T}, FitsHeader?, bool, CancellationToken)"/>, from a
    /// writable view.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="pixels">The image; rows become NAXIS2.</param>
    /// <param name="header">User cards, or null.</param>
    /// <param name="overwrite">Replace an existing file; false refuses it.</param>
    /// <param name="cancel">Checked between chunks of pixels and before the rename.</param>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false, or
    /// writing failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static void WriteImage<T>(string path, Span2D<T> pixels, FitsHeader? header = null, bool overwrite = false,
                                     CancellationToken cancel = default) where T : unmanaged, INumber<T> =>
        WriteImage(path, (ReadOnlySpan2D<T>)pixels, header, overwrite, cancel);

    /// <summary>As <see cref="WriteImage{T}(string, ReadOnlySpan2D{T}, FitsHeader?, bool, CancellationToken)"/>, from a
    /// plane (which stays the caller's).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="pixels">The image; rows become NAXIS2.</param>
    /// <param name="header">User cards, or null.</param>
    /// <param name="overwrite">Replace an existing file; false refuses it.</param>
    /// <param name="cancel">Checked between chunks of pixels and before the rename.</param>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false, or
    /// writing failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static void WriteImage<T>(string path, Plane<T> pixels, FitsHeader? header = null, bool overwrite = false,
                                     CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(pixels);
        WriteImage(path, (ReadOnlySpan2D<T>)pixels.AsSpan2D(), header, overwrite, cancel);
    }

    /// <summary>The HDU astropy's <c>getdata</c> reads when none is named: the primary, or HDU 1 when the primary has
    /// no pixels and there is an HDU 1.</summary>
    internal static FitsHdu DataHdu(FitsFile file)
    {
        var primary = file.GetHdu(0);
        if (primary.HasImageData) return primary;
        return file.FindHdu(1) ?? primary;
    }

    /// <summary>The pixels of an image HDU that holds some.</summary>
    /// <exception cref="FitsFormatException">Not an image, or no pixels (NAXIS = 0 or an axis of length 0).</exception>
    internal static Plane<T> ReadData<T>(FitsFile file, FitsHdu hdu, CancellationToken cancel) where T : unmanaged, INumber<T>
    {
        if (hdu.Type == FitsHduType.Image && !hdu.HasImageData)
            throw new FitsFormatException(file.Name, hdu.Index, hdu.HeaderOffset, "NAXIS",
                $"HDU {hdu.Index}{(hdu.ExtName is null ? "" : $" ({hdu.ExtName})")} holds no pixels (NAXIS = {hdu.Axes.Count}"
                + (hdu.Axes.Count == 0 ? ")" : $", axes [{string.Join(", ", hdu.Axes)}])"));
        return file.ReadImage<T>(hdu, cancel: cancel);
    }
}
