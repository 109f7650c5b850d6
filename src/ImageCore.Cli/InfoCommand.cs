using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary><c>imagecore info FILE [--json] [--stats]</c>: one entry per HDU.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "FITS file to describe" };
        var json = new Option<bool>("--json") { Description = "print one JSON array of HDU objects" };
        var stats = new Option<bool>("--stats") { Description = "add count, NaN count, min, max, mean and sum of each image's physical values" };
        var command = new Command("info", "Describe every HDU of a FITS file") { file, json, stats };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string path = parse.GetValue(file)!.FullName;
            var hdus = FitsSummary.Describe(path, parse.GetValue(stats));
            WarnChecksums(path, hdus);
            if (parse.GetValue(json)) WriteJson(Console.OpenStandardOutput(), hdus);
            else WriteTable(hdus, parse.GetValue(stats));
        }));
        return command;
    }

    /// <summary>A CHECKSUM or DATASUM that does not verify is a warning on stderr (stdout, JSON or not, is unchanged):
    /// info reads leniently, <c>imagecore verify</c> is the strict check.</summary>
    private static void WarnChecksums(string path, IReadOnlyList<HduSummary> hdus)
    {
        foreach (var h in hdus)
        {
            if (h.Checksums.Checksum == false)
                Console.Error.WriteLine($"imagecore: warning: {path}, HDU {h.Index}: CHECKSUM does not verify (the HDU changed after it was written)");
            if (h.Checksums.Datasum == false)
                Console.Error.WriteLine($"imagecore: warning: {path}, HDU {h.Index}: DATASUM does not verify (the data changed after it was written)");
        }
    }

    /// <summary>The JSON form: an array of objects with exactly the keys
    /// index, extname, type, bitpix, naxis, bzero, bscale, cards, stats.</summary>
    internal static void WriteJson(Stream output, IReadOnlyList<HduSummary> hdus)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartArray();
        foreach (var h in hdus)
        {
            w.WriteStartObject();
            w.WriteNumber("index", h.Index);
            if (h.ExtName is null) w.WriteNull("extname"); else w.WriteString("extname", h.ExtName);
            w.WriteString("type", h.Type);
            w.WriteNumber("bitpix", h.Bitpix);
            w.WriteStartArray("naxis");
            foreach (long a in h.Naxis) w.WriteNumberValue(a);
            w.WriteEndArray();
            Number(w, "bzero", h.BZero);
            Number(w, "bscale", h.BScale);
            w.WriteNumber("cards", h.Cards);
            if (h.Stats is null) w.WriteNull("stats");
            else
            {
                w.WriteStartObject("stats");
                w.WriteNumber("count", h.Stats.Count);
                w.WriteNumber("nan", h.Stats.NaN);
                Number(w, "min", h.Stats.Min);
                Number(w, "max", h.Stats.Max);
                Number(w, "mean", h.Stats.Mean);
                Number(w, "sum", h.Stats.Sum);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Flush();
        output.Write("\n"u8);
        output.Flush();
    }

    /// <summary>JSON has no NaN or infinity: those are written as the strings "NaN", "Infinity", "-Infinity".</summary>
    private static void Number(Utf8JsonWriter w, string name, double? v)
    {
        if (v is not double d) w.WriteNull(name);
        else if (double.IsFinite(d)) w.WriteNumber(name, d);
        else w.WriteString(name, d.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Plain aligned columns (one line per HDU, greppable on batch nodes).</summary>
    private static void WriteTable(IReadOnlyList<HduSummary> hdus, bool stats)
    {
        var rows = new List<string[]>();
        var head = new List<string> { "#", "EXTNAME", "type", "BITPIX", "dimensions", "BZERO", "BSCALE", "cards" };
        if (stats) head.AddRange(["count", "NaN", "min", "max", "mean", "sum"]);
        rows.Add([.. head]);
        foreach (var h in hdus)
        {
            var row = new List<string>
            {
                h.Index.ToString(CultureInfo.InvariantCulture), h.ExtName ?? "-", h.Type, h.Bitpix.ToString(CultureInfo.InvariantCulture),
                h.Naxis.Count == 0 ? "-" : string.Join("x", h.Naxis), Fmt(h.BZero), Fmt(h.BScale), h.Cards.ToString(CultureInfo.InvariantCulture),
            };
            if (stats)
            {
                var s = h.Stats;
                row.AddRange(s is null ? ["-", "-", "-", "-", "-", "-"] :
                    [s.Count.ToString(CultureInfo.InvariantCulture), s.NaN.ToString(CultureInfo.InvariantCulture), Fmt(s.Min), Fmt(s.Max), Fmt(s.Mean), Fmt(s.Sum)]);
            }
            rows.Add([.. row]);
        }
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
            Console.WriteLine(string.Join("  ", r.Select((cell, c) => c is 0 or >= 3 && c != 4 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
    }

    private static string Fmt(double? v) => v is double d ? d.ToString("G10", CultureInfo.InvariantCulture) : "-";
}
