using BenchmarkDotNet.Running;
using ImageCore.Benchmarks.Characterize;

// `cosmic-rays IN.fits OUT.fits`: one exposure through CosmicRays.FindAndRepair on one thread, timed, for the
// astroscrappy comparison (benchmarks/peers/cosmic_rays.py); `psf-match-cpu`: the CPU seconds of one detector-sized
// PSF match (PsfMatchCpuRun); `psf-matched-warp-cpu [RUNS]`: the CPU seconds of one full-size PSF-matched warp quantum
// (PsfMatchedWarpCpuRun); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "cosmic-rays") return CosmicRayRun.Run(args[1..]);
if (args.Length > 0 && args[0] == "psf-matched-warp-cpu") return ImageCore.Benchmarks.Warp.PsfMatchedWarpCpuRun.Run(args[1..]);
if (args.Length > 0 && args[0] == "psf-match-cpu") return ImageCore.Benchmarks.Warp.PsfMatchCpuRun.Run();
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
