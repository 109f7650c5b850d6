using System.Globalization;
using System.Text.RegularExpressions;
using ImageCore.Geometry;

namespace ImageCore.Camera;

/// <summary>
/// An IRAF-style section keyword value (DATASEC, BIASSEC, DETSEC): <c>[x1:x2,y1:y2]</c>, 1-based and
/// inclusive; a range written high-to-low (x1 &gt; x2) means that axis is mirrored, as in DETSEC of
/// flipped amplifiers.
/// </summary>
/// <param name="Box">The pixels covered, 0-based.</param>
/// <param name="FlipX">The x range is written high-to-low.</param>
/// <param name="FlipY">The y range is written high-to-low.</param>
public readonly partial record struct IrafSection(Box2I Box, bool FlipX = false, bool FlipY = false)
{
    /// <summary>The keyword text, e.g. <c>[11:522,1:2002]</c>.</summary>
    public override string ToString()
    {
        int x1 = Box.MinX + 1, x2 = Box.MaxX + 1, y1 = Box.MinY + 1, y2 = Box.MaxY + 1;
        if (FlipX) (x1, x2) = (x2, x1);
        if (FlipY) (y1, y2) = (y2, y1);
        return string.Create(CultureInfo.InvariantCulture, $"[{x1}:{x2},{y1}:{y2}]");
    }

    /// <summary>Parses <c>[x1:x2,y1:y2]</c>.</summary>
    /// <exception cref="FormatException">Not a section, or a coordinate below 1.</exception>
    public static IrafSection Parse(string text)
    {
        var m = Pattern().Match(text ?? "");
        if (!m.Success) throw new FormatException($"'{text}' is not an IRAF section [x1:x2,y1:y2]");
        int[] v = [.. Enumerable.Range(1, 4).Select(i => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture))];
        if (v.Any(c => c < 1)) throw new FormatException($"'{text}': IRAF sections count from 1");
        return new IrafSection(Box2I.FromCorners(Math.Min(v[0], v[1]) - 1, Math.Min(v[2], v[3]) - 1, Math.Max(v[0], v[1]) - 1, Math.Max(v[2], v[3]) - 1),
                               v[0] > v[1], v[2] > v[3]);
    }

    [GeneratedRegex(@"^\s*\[\s*(\d+)\s*:\s*(\d+)\s*,\s*(\d+)\s*:\s*(\d+)\s*\]\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
