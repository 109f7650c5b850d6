using ImageCore.Geometry;

namespace ImageCore.Images;

/// <summary>
/// The int32 mask plane of a <see cref="MaskedImage"/> with named bit planes. Starts with afw's
/// default planes (BAD=0, SAT=1, INTRP=2, CR=3, EDGE=4, DETECTED=5, DETECTED_NEGATIVE=6, SUSPECT=7,
/// NO_DATA=8, VIGNETTED=9, STREAK=10); <see cref="AddPlane"/> gives a new name the next free bit.
/// </summary>
public sealed class Mask : IDisposable
{
    /// <summary>afw's default mask planes, in bit order.</summary>
    public static IReadOnlyList<string> DefaultPlanes { get; } =
        ["BAD", "SAT", "INTRP", "CR", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "SUSPECT", "NO_DATA", "VIGNETTED", "STREAK"];

    private readonly Dictionary<string, int> _planes = new(StringComparer.Ordinal);

    /// <summary>A zeroed mask with the default planes.</summary>
    public Mask(int width, int height, Point2I xy0 = default) : this(new Image<int>(width, height, xy0)) { }

    /// <summary>Wraps an int plane (ownership passes to the mask) with the default planes.</summary>
    public Mask(Image<int> pixels)
    {
        Image = pixels ?? throw new ArgumentNullException(nameof(pixels));
        for (int i = 0; i < DefaultPlanes.Count; i++) _planes[DefaultPlanes[i]] = i;
    }

    /// <summary>The mask pixels (bit i set means plane i applies).</summary>
    public Image<int> Image { get; }

    /// <summary>Plane names and their bit numbers.</summary>
    public IReadOnlyDictionary<string, int> Planes => _planes;

    /// <summary>The bit number of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such plane.</exception>
    public int GetPlane(string name) =>
        _planes.TryGetValue(name, out int bit) ? bit : throw new KeyNotFoundException($"mask has no plane '{name}' (planes: {string.Join(", ", _planes.Keys)})");

    /// <summary>The bit value (1 &lt;&lt; bit) of <paramref name="name"/>.</summary>
    public int GetBitMask(string name) => 1 << GetPlane(name);

    /// <summary>The combined bit value of several planes.</summary>
    public int GetBitMask(params ReadOnlySpan<string> names)
    {
        int m = 0;
        foreach (string n in names) m |= GetBitMask(n);
        return m;
    }

    /// <summary>The combined bit value of those of <paramref name="names"/> this mask defines; a name it lacks adds nothing
    /// (no pixel can carry a plane the data never had). <see cref="GetBitMask(ReadOnlySpan{string})"/> refuses such a name.</summary>
    internal int DefinedBits(IEnumerable<string> names) => DefinedBits(_planes, names);

    /// <summary><see cref="DefinedBits(IEnumerable{string})"/> for a plane table read from a file's header.</summary>
    internal static int DefinedBits(IReadOnlyDictionary<string, int> planes, IEnumerable<string> names)
    {
        int bits = 0;
        foreach (string name in names)
            if (planes.TryGetValue(name, out int bit)) bits |= 1 << bit;
        return bits;
    }

    /// <summary>Adds a plane at the lowest free bit, or returns its bit if it exists.</summary>
    /// <exception cref="InvalidOperationException">All 31 usable bits are taken.</exception>
    public int AddPlane(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_planes.TryGetValue(name, out int existing)) return existing;
        for (int bit = 0; bit < 31; bit++)
            if (!_planes.ContainsValue(bit))
            {
                _planes[name] = bit;
                return bit;
            }
        throw new InvalidOperationException($"mask has no free bit for plane '{name}'");
    }

    /// <summary>Sets plane <paramref name="name"/> to <paramref name="bit"/> (used when reading files);
    /// a default plane with the same bit is replaced.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Bit outside 0..30.</exception>
    public void SetPlane(string name, int bit)
    {
        if (bit is < 0 or > 30) throw new ArgumentOutOfRangeException(nameof(bit), $"mask plane '{name}' bit {bit} is outside 0..30");
        foreach (var other in _planes.Where(p => p.Value == bit && p.Key != name).Select(p => p.Key).ToList()) _planes.Remove(other);
        _planes[name] = bit;
    }

    /// <summary>A deep copy: new pixels, the same plane names and bits, the same origin (the caller disposes it).</summary>
    public Mask Clone()
    {
        var copy = new Mask(Image.Clone());
        copy._planes.Clear();
        foreach (var (name, bit) in _planes) copy._planes[name] = bit;
        return copy;
    }

    /// <summary>Removes every plane (before <see cref="SetPlane"/> restores a file's own set).</summary>
    public void ClearPlanes() => _planes.Clear();

    /// <summary>The number of pixels with any of the named planes' bits set (for example <c>Count("NO_DATA")</c>).</summary>
    /// <exception cref="KeyNotFoundException">A plane is not defined.</exception>
    public long Count(params ReadOnlySpan<string> planes)
    {
        int bits = GetBitMask(planes);
        long n = 0;
        var pixels = Image.Pixels;
        for (int y = 0; y < pixels.Height; y++)
            foreach (int m in pixels.GetRowSpan(y))
                if ((m & bits) != 0) n++;
        return n;
    }

    /// <summary>Returns the pixels to their pool.</summary>
    public void Dispose() => Image.Dispose();
}
