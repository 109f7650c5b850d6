using ImageCore.Camera;
using ImageCore.Simulation;

namespace ImageCore.Execution.Rehearsal;

/// <summary>Makes the contention sweep's workloads once: one detector simulated at <see cref="ContentionConfig.Scale"/>
/// under a work directory, its ISR, its characterization, a direct warp of the ISR output, a coadd of copies of that warp, and the stream control.</summary>
internal static class ContentionInputs
{
    /// <summary>The workloads <paramref name="config"/> names, in its order (the caller disposes them).</summary>
    /// <param name="config">Which workloads and their sizes.</param>
    /// <param name="workDir">Where the simulated raw and calibrations are written (kept while the workloads live).</param>
    /// <param name="log">Receives a line per workload made.</param>
    public static IReadOnlyList<IContentionWorkload> Create(ContentionConfig config, string workDir, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(workDir);
        config.Validate();
        var made = new Dictionary<string, IContentionWorkload>();
        try
        {
            var wanted = config.Workloads.ToHashSet();
            if (wanted.Overlaps(["isr", "characterize", "warp", "coadd"]))
            {
                string data = Path.Combine(workDir, "data");
                var sim = Simulator.Run(data, new SimulationConfig { Visits = 1, Detectors = "R22_S11", Scale = config.Scale, Seed = 19 });
                var isr = new IsrWorkload(sim.Raws[0], new DataRepository(data).CalibrationRoot, CameraModel.LsstCam);
                made["isr"] = isr;
                log?.Invoke($"isr: {isr.Description}");
                if (wanted.Contains("characterize"))
                {
                    var characterize = new CharacterizeWorkload(isr.RunAndKeep(), config.Scale);
                    made["characterize"] = characterize;
                    log?.Invoke($"characterize: {characterize.Description}");
                }
                if (wanted.Overlaps(["warp", "coadd"]))
                {
                    var warp = new WarpWorkload(isr.RunAndKeep(), new Astrometry.RingsSkyMap(Pipeline.SkyMapFor(CameraModel.LsstCam, config.Scale)),
                                                Warp.DirectWarp.Border / config.Scale);
                    made["warp"] = warp;
                    log?.Invoke($"warp: {warp.Description}");
                    if (wanted.Contains("coadd"))
                    {
                        var coadd = new CoaddWorkload(warp.RunAndKeep(), warp.Target.Wcs, config.CoaddInputs, Path.Combine(workDir, "warp.fits"));
                        made["coadd"] = coadd;
                        log?.Invoke($"coadd: {coadd.Description}");
                    }
                }
            }
            if (wanted.Contains("stream"))
            {
                made["stream"] = new StreamWorkload(config.StreamArrayBytes, config.StreamRepeats);
                log?.Invoke($"stream: {made["stream"].Description}");
            }
            foreach (var unused in made.Keys.Except(wanted).ToList())
            {
                made[unused].Dispose();
                made.Remove(unused);
            }
            return config.Workloads.Select(w => made[w]).ToList();
        }
        catch
        {
            foreach (var w in made.Values) w.Dispose();
            throw;
        }
    }
}
