using CommunityToolkit.HighPerformance;
using ImageCore.Fits;
using ImageCore.Geometry;

namespace ImageCore.Images;

/// <summary>
/// Writes an exposure in the afw layout (<see cref="ExposureFits"/>: the same HDUs and cards, byte for byte) a band of
/// rows at a time, so that an output made band by band (a warp onto a large grid) never has to be held whole. The
/// headers are written first; bands may come in any order, from several threads; <see cref="Commit"/> needs every row
/// and renames the temporary file to its name. Disposing without committing leaves nothing under the name.
/// </summary>
internal sealed class ExposureBandWriter : IDisposable
{
    private readonly FitsWriter _writer;
    private readonly FitsImageBands<float> _image, _variance;
    private readonly FitsImageBands<int> _mask;

    private ExposureBandWriter(FitsWriter writer, FitsHeader metadata, Box2I bbox, IReadOnlyDictionary<string, int> maskPlanes)
    {
        _writer = writer;
        writer.WriteEmpty(metadata);
        var (imageHeader, maskHeader, varianceHeader) = ExposureFits.PlaneHeaders(metadata, bbox.Min, maskPlanes);
        _image = writer.BeginImage<float>(imageHeader, bbox.Width, bbox.Height);
        _mask = writer.BeginImage<int>(maskHeader, bbox.Width, bbox.Height);
        _variance = writer.BeginImage<float>(varianceHeader, bbox.Width, bbox.Height);
        BBox = bbox;
    }

    /// <summary>Starts <paramref name="path"/> (a temporary file beside it until <see cref="Commit"/>) for an exposure of
    /// <paramref name="bbox"/> with this metadata and these mask planes.</summary>
    /// <exception cref="IOException">The directory is not writable.</exception>
    public static ExposureBandWriter Create(string path, FitsHeader metadata, Box2I bbox, IReadOnlyDictionary<string, int> maskPlanes)
    {
        var writer = FitsWriter.Create(path);
        try { return new ExposureBandWriter(writer, metadata, bbox, maskPlanes); }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>The exposure's box.</summary>
    public Box2I BBox { get; }

    /// <summary>Rows <paramref name="firstRow"/>.. (0 = the box's first row) of the three planes, all the box's width
    /// and the same height.</summary>
    /// <exception cref="ArgumentException">Planes of different heights, or rows outside the box or written before.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void WriteBand(int firstRow, ReadOnlySpan2D<float> image, ReadOnlySpan2D<int> mask, ReadOnlySpan2D<float> variance)
    {
        if (mask.Height != image.Height || variance.Height != image.Height)
            throw new ArgumentException($"{_writer.Name}: the band's planes are {image.Height}, {mask.Height} and {variance.Height} rows high; they must agree");
        _image.Write(firstRow, image);
        _mask.Write(firstRow, mask);
        _variance.Write(firstRow, variance);
    }

    /// <summary>Finishes the checksums and renames the file into place.</summary>
    /// <exception cref="InvalidOperationException">A row was never written.</exception>
    public void Commit() => _writer.Commit();

    /// <summary>Closes the file; without <see cref="Commit"/>, deletes it.</summary>
    public void Dispose() => _writer.Dispose();
}
