using ImageCore.Fits;

namespace ImageCore.Cli;

/// <summary>Runs a command body and turns expected failures into one line on stderr and exit code 1.</summary>
internal static class CliErrors
{
    public static int Run(Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (Exception e) when (e is FitsFormatException or ImageCore.Isr.CalibrationException or ImageCore.Camera.CameraFormatException or IOException or UnauthorizedAccessException
                                      or NotSupportedException or KeyNotFoundException or ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"imagecore: error: {e.Message}");
            return 1;
        }
    }
}
