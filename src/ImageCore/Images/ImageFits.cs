using System.Numerics;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Images;

/// <summary>
/// Reads and writes a single <see cref="Image{T}"/> as a FITS image HDU, its xy0 recorded as afw records it
/// (LTV1/LTV2 = -xy0): the <see cref="Image{T}"/> side of the one-liners in <see cref="Fits.Fits"/>, and the
/// <see cref="FitsWriter"/> extension that writes an image with its type argument inferred.
/// </summary>
public static class ImageFits
{
    /// <summary>Reads a file's image as astropy's <c>getdata</c> chooses it (the primary HDU, or HDU 1 when the primary
    /// has no pixels), with xy0 from LTV1/LTV2.</summary>
    /// <typeparam name="T">The pixel type wanted: the stored type, its unsigned twin, float, double, or an integer type
    /// that holds every physical value.</typeparam>
    /// <param name="path">The FITS file.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new image of physical values the caller owns (dispose it).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FitsFormatException">Not a FITS file; the HDU is not an image, holds no pixels, or has LTV1/LTV2
    /// that are not integers.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Image<T> Read<T>(string path, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        using var file = FitsFile.Open(path);
        return Read<T>(file, Fits.Fits.DataHdu(file), cancel);
    }

    /// <summary>Reads HDU <paramref name="hdu"/> (0 is the primary) as an image with xy0 from LTV1/LTV2.</summary>
    /// <typeparam name="T">The pixel type wanted (see <see cref="Read{T}(string, CancellationToken)"/>).</typeparam>
    /// <param name="path">The FITS file.</param>
    /// <param name="hdu">Zero-based HDU index.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new image the caller owns (dispose it).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The file has fewer HDUs (the message names the file).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file; the HDU is not an image, holds no pixels, or has bad
    /// LTV1/LTV2.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Image<T> Read<T>(string path, int hdu, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        using var file = FitsFile.Open(path);
        return Read<T>(file, file.GetHdu(hdu), cancel);
    }

    /// <summary>Reads the first HDU named <paramref name="extname"/> (case and trailing blanks ignored) as an image with
    /// xy0 from LTV1/LTV2.</summary>
    /// <typeparam name="T">The pixel type wanted (see <see cref="Read{T}(string, CancellationToken)"/>).</typeparam>
    /// <param name="path">The FITS file.</param>
    /// <param name="extname">The EXTNAME.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new image the caller owns (dispose it).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="KeyNotFoundException">No HDU has that EXTNAME (the message names the file and the name).</exception>
    /// <exception cref="FitsFormatException">Not a FITS file; the HDU is not an image, holds no pixels, or has bad
    /// LTV1/LTV2.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Image<T> Read<T>(string path, string extname, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        using var file = FitsFile.Open(path);
        return Read<T>(file, file.GetHdu(extname), cancel);
    }

    /// <summary>Reads an image HDU of an open file, with xy0 from LTV1/LTV2 ((0, 0) without them).</summary>
    /// <typeparam name="T">The pixel type wanted (see <see cref="Read{T}(string, CancellationToken)"/>).</typeparam>
    /// <param name="file">The open file.</param>
    /// <param name="hdu">An HDU of <paramref name="file"/>.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <returns>A new image the caller owns (dispose it).</returns>
    /// <exception cref="FitsFormatException">The HDU is not an image, holds no pixels, or has bad LTV1/LTV2.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static Image<T> Read<T>(FitsFile file, FitsHdu hdu, CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(hdu);
        var xy0 = ExposureFits.ReadXy0(hdu);   // before the pixels: a bad LTV costs no read
        return new Image<T>(Fits.Fits.ReadData<T>(file, hdu, cancel), xy0);
    }

    /// <summary>Writes <paramref name="image"/> as the primary HDU of a new file, with the cards of
    /// <paramref name="header"/> and LTV1/LTV2 for its xy0, and commits it (astropy's <c>writeto</c>).</summary>
    /// <typeparam name="T">The pixel type; it sets BITPIX as <see cref="FitsWriter"/> does.</typeparam>
    /// <param name="path">The file to write.</param>
    /// <param name="image">The image (it stays the caller's).</param>
    /// <param name="header">User cards, or null; any LTV1/LTV2 in it are replaced by the image's xy0.</param>
    /// <param name="overwrite">Replace an existing file; false (the default, as in astropy) refuses it.</param>
    /// <param name="cancel">Checked between chunks of pixels and before the rename; a cancelled write leaves nothing.</param>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false (the message
    /// names the path), or writing failed; no file is left under <paramref name="path"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static void Write<T>(string path, Image<T> image, FitsHeader? header = null, bool overwrite = false,
                                CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(image);
        FitsWriter.Write(path, w => w.WriteImage(header, image, null, cancel), overwrite, cancel);
    }

    /// <summary>Writes <paramref name="image"/> as the next HDU of <paramref name="writer"/>, with LTV1/LTV2 = -xy0 when
    /// its xy0 is not (0, 0) (those keywords of <paramref name="header"/> are replaced either way, so that the file
    /// places the image where it is). <c>writer.WriteImage(header, image)</c> infers <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The pixel type; it sets BITPIX (float -32, int 32, short 16, double -64, ...).</typeparam>
    /// <param name="writer">The writer.</param>
    /// <param name="header">User cards (EXTNAME, metadata), or null; it is not changed.</param>
    /// <param name="image">The image (it stays the caller's).</param>
    /// <param name="options">BSCALE/BZERO and BLANK for integer types, as for
    /// <see cref="FitsWriter.WriteImage{T}(FitsHeader?, CommunityToolkit.HighPerformance.ReadOnlySpan2D{T}, FitsImageOptions?, CancellationToken)"/>.</param>
    /// <param name="cancel">Checked between chunks of pixels.</param>
    /// <exception cref="ArgumentException">Options that do not fit the pixel type.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="InvalidOperationException">The writer is committed, disposed, or an earlier write failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled.</exception>
    public static void WriteImage<T>(this FitsWriter writer, FitsHeader? header, Image<T> image, FitsImageOptions? options = null,
                                     CancellationToken cancel = default) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(image);
        writer.WriteImage(WithXy0(header, image.Xy0), image.Plane, options, cancel);
    }

    /// <summary>A copy of <paramref name="header"/> whose LTV1/LTV2 place an image at <paramref name="xy0"/> (none for
    /// (0, 0)).</summary>
    private static FitsHeader WithXy0(FitsHeader? header, Point2I xy0)
    {
        var h = header?.Clone() ?? new FitsHeader();
        h.Remove("LTV1");
        h.Remove("LTV2");
        if (xy0 != default)
        {
            h.Add(FitsCard.Integer("LTV1", -xy0.X, "-(x origin) of the image in its parent"));
            h.Add(FitsCard.Integer("LTV2", -xy0.Y, "-(y origin) of the image in its parent"));
        }
        return h;
    }
}
