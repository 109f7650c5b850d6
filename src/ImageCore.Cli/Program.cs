using System.CommandLine;
using ImageCore.Cli;

// A failure on a thread of the engine's own (a pinned worker, a timer) ends the process: one line and the bug exit
// code, as for a failure on the main thread, instead of the runtime's stack trace.
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    int code = e.ExceptionObject is Exception failure ? CliErrors.Report(failure) : CliErrors.InternalError;
    Console.Error.Flush();
    Environment.Exit(code);
};

var root = new RootCommand("imagecore: FITS I/O and image processing for survey astronomy")
{
    InfoCommand.Create(),
    HeaderCommand.Create(),
    VerifyCommand.Create(),
    SimulateCommand.Create(),
    IsrCommand.Create(),
    CharacterizeCommand.Create(),
    WcsCommand.Create(),
    WarpCommand.Create(),
    PsfMatchCommand.Create(),
    CoaddCommand.Create(),
    RunCommand.Create(),
    PlanCommand.Create(),
    SlurmCommand.Create(),
    ReportCommand.Create(),
    DemoCommand.Create(),
    TopologyCommand.Create(),
    RehearseCommand.Create(),
};
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return CliErrors.Report(e);
}
