using System.Globalization;
using ImageCore.Fits;

namespace ImageCore.Images;

/// <summary>
/// What is known of the observation an exposure came from (afw's VisitInfo, the part ImageCore uses), kept in the
/// exposure's metadata under the keywords LSSTCam raws and ImageCore's files use: <c>VISIT</c>, <c>EXPTIME</c>,
/// <c>DARKTIME</c>, <c>MJD-OBS</c> (or <c>DATE-OBS</c> when reading), <c>RA</c>/<c>DEC</c> (boresight), <c>ROTPA</c>,
/// <c>AIRMASS</c>. Every field is null where the metadata do not give it.
/// </summary>
public sealed record VisitInfo
{
    /// <summary>The visit (exposure) id.</summary>
    public long? Visit { get; init; }

    /// <summary>Exposure (shutter-open) time, seconds.</summary>
    public double? ExposureTime { get; init; }

    /// <summary>Dark time (readout to readout), seconds.</summary>
    public double? DarkTime { get; init; }

    /// <summary>Start of the exposure, modified Julian date (TAI).</summary>
    public double? MjdObs { get; init; }

    /// <summary>Boresight right ascension, degrees.</summary>
    public double? BoresightRa { get; init; }

    /// <summary>Boresight declination, degrees.</summary>
    public double? BoresightDec { get; init; }

    /// <summary>Rotation (position) angle of the focal plane, degrees.</summary>
    public double? RotationAngle { get; init; }

    /// <summary>Airmass at the boresight.</summary>
    public double? Airmass { get; init; }

    /// <summary>The visit information in <paramref name="metadata"/>, or null when it holds none of the keywords.</summary>
    /// <exception cref="FitsFormatException">A keyword holds a value of the wrong type (the message names it), or
    /// <c>DATE-OBS</c> is not an ISO-8601 date.</exception>
    public static VisitInfo? FromMetadata(FitsHeader metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        double? Real(string keyword) => metadata.Contains(keyword) ? metadata.GetDouble(keyword) : null;
        var info = new VisitInfo
        {
            Visit = metadata.Contains("VISIT") ? metadata.GetInt64("VISIT") : null,
            ExposureTime = Real("EXPTIME"),
            DarkTime = Real("DARKTIME"),
            MjdObs = Real("MJD-OBS") ?? DateObs(metadata),
            BoresightRa = Real("RA"),
            BoresightDec = Real("DEC"),
            RotationAngle = Real("ROTPA"),
            Airmass = Real("AIRMASS"),
        };
        return info == new VisitInfo() ? null : info;
    }

    /// <summary>Writes the fields that are not null into <paramref name="metadata"/> (replacing those keywords' cards)
    /// and removes the keywords of the fields that are null.</summary>
    public void WriteTo(FitsHeader metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        void Put(string keyword, object? value, string comment)
        {
            if (value is null) metadata.Remove(keyword);
            else metadata.Set(keyword, value, comment);
        }
        Put("VISIT", Visit, "visit id");
        Put("EXPTIME", ExposureTime, "exposure time (s)");
        Put("DARKTIME", DarkTime, "dark time (s)");
        Put("MJD-OBS", MjdObs, "start of the exposure (MJD, TAI)");
        Put("RA", BoresightRa, "boresight right ascension (deg)");
        Put("DEC", BoresightDec, "boresight declination (deg)");
        Put("ROTPA", RotationAngle, "rotation angle (deg)");
        Put("AIRMASS", Airmass, "airmass at the boresight");
    }

    /// <summary>The keywords a <see cref="VisitInfo"/> is kept under.</summary>
    public static IReadOnlyList<string> Keywords { get; } = ["VISIT", "EXPTIME", "DARKTIME", "MJD-OBS", "RA", "DEC", "ROTPA", "AIRMASS"];

    private static double? DateObs(FitsHeader metadata)
    {
        if (!metadata.Contains("DATE-OBS")) return null;
        string text = metadata.GetString("DATE-OBS").Trim();
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
            throw new FitsFormatException(metadata.Source, metadata.HduIndex, -1, "DATE-OBS", $"'{text}' is not an ISO-8601 date");
        return (date - new DateTime(1858, 11, 17, 0, 0, 0, DateTimeKind.Utc)).TotalDays;
    }
}
