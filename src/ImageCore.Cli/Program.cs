using System.CommandLine;
using ImageCore.Cli;

var root = new RootCommand("imagecore: FITS I/O and image processing for survey astronomy")
{
    InfoCommand.Create(),
    SimulateCommand.Create(),
    IsrCommand.Create(),
    WcsCommand.Create(),
    WarpCommand.Create(),
    CoaddCommand.Create(),
    RunCommand.Create(),
    DemoCommand.Create(),
    TopologyCommand.Create(),
    RehearseCommand.Create(),
};
return root.Parse(args).Invoke();
