using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Images;

/// <summary>
/// An exposure file in the afw layout (<see cref="ExposureFits"/>) whose planes are read a band of rows at a time,
/// as a pass over the detector reaches them, instead of whole into memory: a master calibration that ISR reads once
/// then costs a few rows of buffers instead of three planes of fresh memory (590 MB for a bias, dark and flat of an
/// LSSTCam detector). The headers are read and checked on opening, as <see cref="ExposureFits.Read(FitsFile, CancellationToken)"/>
/// checks them; the pixels only by <see cref="ReadBand"/>.
/// </summary>
internal sealed class ExposureBandReader : IDisposable
{
    private readonly FitsFile _file;
    private readonly ExposureFits.Layout _layout;

    private ExposureBandReader(FitsFile file, ExposureFits.Layout layout) => (_file, _layout) = (file, layout);

    /// <summary>Opens <paramref name="path"/> and checks its headers.</summary>
    /// <exception cref="FitsFormatException">Not an exposure in the afw layout.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static ExposureBandReader Open(string path)
    {
        var file = FitsFile.Open(path);
        try { return new ExposureBandReader(file, ExposureFits.ReadLayout(file)); }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The file's name.</summary>
    public string Name => _file.Name;

    /// <summary>The primary header's cards, as <see cref="Exposure.Metadata"/> would hold them.</summary>
    public FitsHeader Metadata => _layout.Metadata;

    /// <summary>The planes' pixel box (xy0 from LTV1/LTV2).</summary>
    public Box2I BBox => _layout.BBox;

    /// <summary>Rows <paramref name="firstRow"/>.. (0 = the first row of the planes) of the image, mask and variance,
    /// as many as the destinations are high (all three the same size, as wide as the planes). Safe to call from several
    /// threads at once.</summary>
    /// <exception cref="FitsFormatException">The file is truncated.</exception>
    /// <exception cref="ArgumentException">The destinations do not fit the planes.</exception>
    public void ReadBand(int firstRow, Span2D<float> image, Span2D<int> mask, Span2D<float> variance)
    {
        if (mask.Height != image.Height || variance.Height != image.Height)
            throw new ArgumentException($"{Name}: the band's planes are {image.Height}, {mask.Height} and {variance.Height} rows high; they must agree");
        _file.ReadRows(_layout.Image, firstRow, image);
        _file.ReadRows(_layout.Mask, firstRow, mask);
        _file.ReadRows(_layout.Variance, firstRow, variance);
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();
}
