using ImageCore.Camera;
using ImageCore.Fits;
using ImageCore.Memory;

namespace ImageCore.Simulation;

/// <summary>
/// Writes a detector's raw file in the LSSTCam layout: a primary HDU with the visit metadata and 16
/// int32 segment HDUs in camera order (EXTNAME Segment10..Segment17, Segment07..Segment00), each with
/// DATASEC, BIASSEC and DETSEC describing its imaging pixels, serial overscan and assembled place.
/// </summary>
internal static class RawFile
{
    /// <summary>Writes <paramref name="segments"/> (in <see cref="Detector.Amplifiers"/> order, each
    /// RawWidth x RawHeight, in the segment's own file orientation) to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">Not 16 segments, or a segment of the wrong size.</exception>
    public static void Write(string path, Detector detector, FitsHeader primary, IReadOnlyList<Plane<int>> segments)
    {
        ArgumentNullException.ThrowIfNull(detector);
        if (segments.Count != detector.Amplifiers.Count)
            throw new ArgumentException($"{detector.Name} has {detector.Amplifiers.Count} amplifiers, got {segments.Count} segments", nameof(segments));
        using var w = FitsWriter.Create(path);
        var h = primary.Clone();
        h.Set("DETNAME", detector.Name, "detector name");
        h.Set("DETECTOR", detector.Id, "detector id");
        h.Set("CCD_MANU", detector.Vendor, "CCD manufacturer");
        h.Set("CCDSLOT", detector.Slot, "slot in the raft");
        h.Set("RAFTBAY", detector.Raft, "raft");
        w.WriteEmpty(h);
        for (int i = 0; i < segments.Count; i++)
        {
            var amp = detector.Amplifiers[i];
            var s = segments[i];
            if (s.Width != detector.Layout.RawWidth || s.Height != detector.Layout.RawHeight)
                throw new ArgumentException($"{detector.Name} {amp.Name}: segment is {s.Width}x{s.Height}, the camera says {detector.Layout.RawWidth}x{detector.Layout.RawHeight}", nameof(segments));
            var sh = new FitsHeader();
            sh.Set("EXTNAME", amp.ExtName, "amplifier segment");
            sh.Set("DATASEC", amp.DataSec.ToString(), "imaging pixels of this segment");
            sh.Set("BIASSEC", amp.BiasSec.ToString(), "serial overscan of this segment");
            sh.Set("DETSEC", amp.DetSec.ToString(), "place of DATASEC in the assembled detector");
            w.WriteImage<int>(sh, s.AsSpan2D());
        }
        w.Commit();
    }
}
