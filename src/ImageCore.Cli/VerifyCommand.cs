using System.CommandLine;
using System.Text.Json;
using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary><c>imagecore verify FILE... [--json]</c>: fitsverify's conformance checks; exit 0 when no file has an
/// error (warnings do not count), 2 when any has, 1 for a usage error.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("files") { Description = "FITS files to verify", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "print one JSON array with an object per file" };
        var command = new Command("verify", "Check FITS files against the FITS 4.0 standard as cfitsio's fitsverify does") { files, json };
        command.SetAction(parse =>
        {
            var reports = parse.GetValue(files)!.Select(f => Run(f.ToString())).ToList();
            if (parse.GetValue(json)) WriteJson(Console.OpenStandardOutput(), reports);
            else WriteText(reports);
            return reports.All(r => r.Conforms) ? 0 : 2;
        });
        return command;
    }

    /// <summary>Verifies one file; a file that cannot be opened or read is that file's error.</summary>
    internal static FitsVerifyReport Run(string path)
    {
        try
        {
            return FitsVerifier.Verify(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FitsVerifyReport(path, 0, [new FitsFinding(FitsFindingSeverity.Error, -1, null, null, 0, $"cannot read the file: {e.Message}")]);
        }
    }

    /// <summary>Per file a verdict line (fitsverify's "verification OK/FAILED"), then each finding indented.</summary>
    private static void WriteText(IReadOnlyList<FitsVerifyReport> reports)
    {
        foreach (var r in reports)
        {
            string counts = $"{r.ErrorCount} error{(r.ErrorCount == 1 ? "" : "s")}, {r.WarningCount} warning{(r.WarningCount == 1 ? "" : "s")}";
            Console.WriteLine($"{r.File}: {(r.Conforms ? "OK" : "FAILED")} ({r.HduCount} HDU{(r.HduCount == 1 ? "" : "s")}, {counts})");
            foreach (var f in r.Findings) Console.WriteLine($"  {f}");
        }
    }

    /// <summary>The JSON form: an array of {file, ok, hdus, errors, warnings, findings: [{severity, hdu, card, keyword, offset, message}]}.</summary>
    internal static void WriteJson(Stream output, IReadOnlyList<FitsVerifyReport> reports)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartArray();
        foreach (var r in reports)
        {
            w.WriteStartObject();
            w.WriteString("file", r.File);
            w.WriteBoolean("ok", r.Conforms);
            w.WriteNumber("hdus", r.HduCount);
            w.WriteNumber("errors", r.ErrorCount);
            w.WriteNumber("warnings", r.WarningCount);
            w.WriteStartArray("findings");
            foreach (var f in r.Findings)
            {
                w.WriteStartObject();
                w.WriteString("severity", f.Severity == FitsFindingSeverity.Error ? "error" : "warning");
                if (f.Hdu < 0) w.WriteNull("hdu"); else w.WriteNumber("hdu", f.Hdu);
                if (f.Card is int c) w.WriteNumber("card", c); else w.WriteNull("card");
                if (f.Keyword is null) w.WriteNull("keyword"); else w.WriteString("keyword", f.Keyword);
                w.WriteNumber("offset", f.Offset);
                w.WriteString("message", f.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Flush();
        output.Write("\n"u8);
        output.Flush();
    }
}
