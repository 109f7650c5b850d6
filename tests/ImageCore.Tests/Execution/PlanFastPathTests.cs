using ImageCore.Camera;
using ImageCore.Execution;
using ImageCore.Simulation;

namespace ImageCore.Tests.Execution;

/// <summary>The dry-run planner's fast path (a WCS's pixel-to-sky half from the detector's grid and a rotation, each raw's
/// edge taken to the sky once) against the way it was first written (the simulator's whole fit per raw,
/// <see cref="ImageCore.Warp.Warper.WarpedBBox"/> per patch): the same graph.</summary>
public class PlanFastPathTests
{
    [Theory]
    [InlineData(20, 8, 7)]     // 20 visits of every detector: 3,780 raws, at the dry run's default scale
    [InlineData(3, 2, 11)]     // larger detectors: 63 points along the edge instead of 7
    public void The_fast_dry_run_plans_the_graph_the_reference_way_plans(int visits, int scale, int seed)
    {
        var simulation = new SimulationConfig { Visits = visits, Detectors = "all", Scale = scale, Seed = seed };
        var data = new DataRepository("/data");
        var output = new DataRepository("/out");
        var config = new PipelineConfig();
        var fast = QuantumGraphPlanner.PlanSimulated(simulation, data, output, config, reference: false);
        var slow = QuantumGraphPlanner.PlanSimulated(simulation, data, output, config, reference: true);

        Assert.Equal(visits * 189 * 2, fast.Quanta.Count(q => q.Step is PipelineSteps.Isr or PipelineSteps.Characterize));
        Assert.True(fast.Quanta.Count(q => q.Step == PipelineSteps.Warp) > visits * 189, "each raw reaches a patch or more");
        Assert.Equal(slow.ToJson(), fast.ToJson());
        var clusters = new ClusterConfig { VisitsPerGroup = 4 };
        Assert.Equal(QuantumClusterer.Cluster(slow, clusters).Clusters.Select(ClusterPlan.ToJson), QuantumClusterer.Cluster(fast, clusters).Clusters.Select(ClusterPlan.ToJson));
    }

    [Fact]
    public void The_forward_wcs_puts_every_pixel_where_the_simulators_fit_does()
    {
        var camera = CameraModel.LsstCam.Scaled(8);
        var simulation = new SimulationConfig { Visits = 5, Detectors = "all", Seed = 3 };
        var detectors = Simulator.SelectDetectors(camera, "all");
        double worst = 0;
        for (int visit = 0; visit < simulation.Visits; visit++)
        {
            var pointing = Simulator.VisitConditions(simulation, visit).Pointing;
            foreach (var det in detectors.Where((_, i) => i % 9 == visit))
            {
                var full = Optics.DetectorWcs(pointing, camera, det);
                var forward = Optics.DetectorWcsForward(pointing, camera, Optics.FitGrid.Of(camera, det));
                Assert.Equal(full.CrVal, forward.CrVal);
                Assert.Equal(full.CrPix, forward.CrPix);
                for (int j = 0; j <= 8; j++)
                    for (int i = 0; i <= 8; i++)
                    {
                        double x = (det.BBox.Width - 1) * i / 8.0, y = (det.BBox.Height - 1) * j / 8.0;
                        var (ra0, dec0) = full.PixelToSky(x, y);
                        var (ra1, dec1) = forward.PixelToSky(x, y);
                        double arcsec = Math.Max(Math.Abs(ra0 - ra1) * Math.Cos(dec0 * Math.PI / 180), Math.Abs(dec0 - dec1)) * 3600;
                        worst = Math.Max(worst, arcsec / full.PixelScaleArcsec);
                        var (px, py) = forward.SkyToPixel(ra0, dec0);   // no AP/BP: the inverse by iteration
                        Assert.InRange(Math.Max(Math.Abs(px - x), Math.Abs(py - y)), 0, 1e-6);
                    }
            }
        }
        Assert.InRange(worst, 0, 1e-9);   // pixels: rounding, not a different model
    }

    [Fact]
    public void The_grid_fit_without_arrays_gives_the_coefficients_of_the_fit_with_them()
    {
        var camera = CameraModel.LsstCam.Scaled(8);
        var grid = Optics.FitGrid.Of(camera, Simulator.SelectDetectors(camera, "R22_S11")[0]);
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var xi = new double[grid.Count];
            var eta = new double[grid.Count];
            for (int k = 0; k < grid.Count; k++) (xi[k], eta[k]) = (random.NextDouble() - 0.5, (random.NextDouble() - 0.5) * 1e-3);
            var arrays = grid.Factor.Solve([xi, eta]);
            var cx = new double[arrays[0].Length];
            var cy = new double[arrays[1].Length];
            grid.Factor.Solve(xi, eta, cx, cy);
            Assert.Equal(arrays[0].Select(BitConverter.DoubleToInt64Bits), cx.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(arrays[1].Select(BitConverter.DoubleToInt64Bits), cy.Select(BitConverter.DoubleToInt64Bits));
        }
    }
}
