using ImageCore.Execution;
using ImageCore.Isr;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

public class DataRepositoryTests
{
    [Fact]
    public void The_layout_is_the_documented_one()
    {
        var repo = new DataRepository(Path.Combine("some", "dir"));
        string P(params string[] parts) => Path.Combine([repo.Root, .. parts]);
        Assert.Equal(P("raw", "000003", "R22_S11.fits"), repo.Raw(3, "R22_S11"));
        Assert.Equal(P("calib"), repo.CalibrationRoot);
        Assert.Equal(P("postisr", "000003", "R22_S11.fits"), repo.PostIsr(3, "R22_S11"));
        Assert.Equal(P("warp", "09813", "045", "000003.fits"), repo.Warp(9813, 45, 3));
        Assert.Equal(P("coadd", "09813", "045.fits"), repo.Coadd(9813, 45));
        Assert.Equal(P("report.json"), repo.ReportPath);
        Assert.Equal(Path.Combine("warp", "09813", "045", "000003.fits"), repo.Relative(repo.Warp(9813, 45, 3)));
        Assert.Equal(P("calib", "flat", "r", "R22_S11.fits"), InputLayout.Calibration(repo.CalibrationRoot, CalibrationType.Flat, "R22_S11", "r"));
        Assert.Equal(P("calib", "amps", "R22_S11.json"), InputLayout.Calibration(repo.CalibrationRoot, CalibrationType.Amplifiers, "R22_S11"));
        Assert.Throws<ArgumentException>(() => InputLayout.Calibration(repo.CalibrationRoot, CalibrationType.Flat, "R22_S11"));
        Assert.Equal(3, DataRepository.VisitOfRaw(repo.Raw(3, "R22_S11")));
        Assert.Null(DataRepository.VisitOfRaw(P("raw", "v3", "R22_S11.fits")));
    }

    [Fact]
    public void The_simulator_writes_where_the_repository_and_the_calibration_directory_read()
    {
        using var dir = new TempDir();
        var sim = Simulator.Run(dir.Path, new SimulationConfig { Visits = 2, Detectors = "R22_S12,R22_S11", Scale = 8, Seed = 2 });
        var repo = new DataRepository(dir.Path);
        Assert.Equal([repo.Raw(0, "R22_S11"), repo.Raw(0, "R22_S12"), repo.Raw(1, "R22_S11"), repo.Raw(1, "R22_S12")], repo.FindRaws());
        Assert.Equal(repo.FindRaws().Order(StringComparer.Ordinal), sim.Raws.Order(StringComparer.Ordinal));
        foreach (var type in Enum.GetValues<CalibrationType>())
            Assert.Contains(InputLayout.Calibration(repo.CalibrationRoot, type, "R22_S11", "r"), sim.Calibrations);
        Assert.Empty(new DataRepository(dir.File("none")).FindRaws());
    }
}
