using System.Text.Json;
using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary>
/// Every command's top level: any failure becomes one line on stderr and a non-zero exit code, never a stack trace.
/// Failures of the input, the configuration or the machine (a malformed file, a bad value, a missing calibration, no
/// memory left) exit with 1 and say what is wrong; anything else is a bug in imagecore and exits with
/// <see cref="InternalError"/>, asking for a report (the stack trace is printed when <c>IMAGECORE_DEBUG</c> is set).
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code of a failure the input or the machine explains.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of an unexpected failure: a bug (EX_SOFTWARE of sysexits.h).</summary>
    public const int InternalError = 70;

    /// <summary>Runs a command body: 0 when it returns, otherwise the failure reported as <see cref="Report"/> does.</summary>
    public static int Run(Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Writes <paramref name="failure"/> to stderr as one line and returns the exit code for it.</summary>
    public static int Report(Exception failure)
    {
        var (line, code) = Describe(failure);
        Console.Error.WriteLine(line);
        if (code == InternalError && Environment.GetEnvironmentVariable("IMAGECORE_DEBUG") is { Length: > 0 })
            Console.Error.WriteLine(failure);
        return code;
    }

    /// <summary>The line and exit code for a failure. An <see cref="AggregateException"/> (from parallel loops) is
    /// described by its first inner failure.</summary>
    internal static (string Line, int Code) Describe(Exception failure)
    {
        var e = Unwrap(failure);
        string message = OneLine(e.Message);
        if (e is ArgumentException { ParamName: { } name })   // the parameter's name means nothing to an operator
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        return e switch
        {
            OutOfMemoryException or InsufficientMemoryException =>
                ($"imagecore: error: not enough memory: {message} (run with fewer --threads, on smaller inputs, or on a node with more memory)", Failed),
            OperationCanceledException => ("imagecore: error: cancelled", Failed),
            FitsFormatException or IOException or UnauthorizedAccessException or ArgumentException or FormatException
                or NotSupportedException or KeyNotFoundException or JsonException or InvalidDataException
                or ImageCore.Isr.CalibrationException or ImageCore.Camera.CameraFormatException or ImageCore.Astrometry.UnsupportedWcsException =>
                ($"imagecore: error: {message}", Failed),
            _ => ($"imagecore: internal error: {e.GetType().Name}: {message} (this is a bug in imagecore: please report it with the command line "
                  + "and its inputs; IMAGECORE_DEBUG=1 prints the stack trace)", InternalError),
        };
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: > 0 } a:
                    e = a.InnerExceptions[0];
                    continue;
                case System.Reflection.TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    continue;
                case TypeInitializationException { InnerException: { } inner }:
                    e = inner;
                    continue;
                default:
                    return e;
            }
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
