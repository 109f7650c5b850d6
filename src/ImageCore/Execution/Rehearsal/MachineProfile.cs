using System.Globalization;

namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// The memory side of a machine, as the model needs it: the bandwidth one core can draw alone, the bandwidth of one L3
/// domain's link to memory (shared by the jobs on that domain), and one socket's (NUMA node's) memory bandwidth (shared by
/// the jobs on that socket), in bytes per second, plus the machine's compute speed relative to the one where the
/// workloads were profiled. The domains, their L3 sizes and sockets come from a <see cref="CpuTopology"/>.
/// </summary>
/// <param name="Name">What machine this is.</param>
/// <param name="CoreBandwidth">Bytes per second one core draws alone.</param>
/// <param name="DomainBandwidth">Bytes per second through one L3 domain's link (all its cores together).</param>
/// <param name="SocketBandwidth">Bytes per second of one socket's memory (all its domains together).</param>
/// <param name="CoreSpeed">Compute speed relative to the profiled machine (1: the same).</param>
/// <param name="Sources">Where each figure came from.</param>
public sealed record MachineProfile(string Name, double CoreBandwidth, double DomainBandwidth, double SocketBandwidth, double CoreSpeed, string Sources)
{
    /// <summary>DDR4-3200 x 8 channels per socket: 8 x 25.6 GB/s (AnandTech 16529; EPYC 7003 specifications).</summary>
    public const double MilanSocketPeakBytesPerSecond = 204.8e9;

    /// <summary>One CCD's Infinity Fabric read link: 32 B per FCLK cycle at 1600 MHz (chipsandcheese, "Pushing AMD's
    /// Infinity Fabric to its Limits"; FCLK 1:1 with DDR4-3200's 1600 MHz memory clock). Writes are 16 B per cycle.</summary>
    public const double MilanCcdReadPeakBytesPerSecond = 32 * 1.6e9;

    /// <summary>
    /// AMD EPYC 7763 / 7713 (Milan, 8 CCDs of 8 cores and 32 MB L3 per socket). Peaks from the documented figures
    /// (<see cref="MilanSocketPeakBytesPerSecond"/>, <see cref="MilanCcdReadPeakBytesPerSecond"/>) times
    /// <paramref name="sustainedFraction"/> (assumed: STREAM-like codes reach about 80% of a DDR4 system's peak; no
    /// measured Milan STREAM figure was found); the single-core figure <paramref name="coreBandwidth"/> is an assumption
    /// (not found in the sources; override it when measured).
    /// </summary>
    public static MachineProfile Milan(double coreBandwidth = 20e9, double sustainedFraction = 0.8, double coreSpeed = 1.0)
    {
        if (!(coreBandwidth > 0) || !(sustainedFraction is > 0 and <= 1) || !(coreSpeed > 0))
            throw new ArgumentException($"Milan profile: core bandwidth {coreBandwidth}, sustained fraction {sustainedFraction} and core speed {coreSpeed} must be positive (the fraction at most 1)");
        return new MachineProfile("AMD EPYC 7763/7713 (Milan)", coreBandwidth, MilanCcdReadPeakBytesPerSecond * sustainedFraction,
            MilanSocketPeakBytesPerSecond * sustainedFraction, coreSpeed, string.Create(CultureInfo.InvariantCulture,
            $"socket: 8 x DDR4-3200 = 204.8 GB/s peak (AnandTech 16529) x {sustainedFraction} sustained (assumption); CCD link: 32 B/cycle x 1.6 GHz FCLK = 51.2 GB/s read (chipsandcheese, derived) x {sustainedFraction}; core alone: {coreBandwidth / 1e9} GB/s (assumption); compute speed x{coreSpeed} of the profiled machine (assumption)"));
    }

    /// <summary>
    /// This machine, from the stream control of a sweep: one core's bandwidth from the stream workload alone; a domain's and
    /// a socket's from the highest aggregate stream bandwidth measured with all workers in one domain, and anywhere.
    /// </summary>
    public static MachineProfile Measured(CpuTopology topology, WorkloadProfile stream, IReadOnlyList<ContentionPoint> streamPoints)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(streamPoints);
        double core = stream.BytesPerQuantum / stream.SecondsAlone;
        double Aggregate(ContentionPoint p) => p.QuantaPerSecond * stream.BytesPerQuantum;
        bool OneDomain(ContentionPoint p) => p.Cpus.Split(',').Where(c => c != "-").Select(c => topology.L3Of(int.Parse(c, CultureInfo.InvariantCulture)).Index).Distinct().Count() == 1
                                              || topology.L3Domains.Count == 1;
        double socket = Math.Max(core, streamPoints.Select(Aggregate).DefaultIfEmpty(core).Max());
        double domain = Math.Max(core, streamPoints.Where(OneDomain).Select(Aggregate).DefaultIfEmpty(core).Max());
        return new MachineProfile("this machine (measured)", core, domain, socket, 1.0, string.Create(CultureInfo.InvariantCulture,
            $"stream triad: {core / 1e9:F1} GB/s alone, {domain / 1e9:F1} GB/s best within one L3 domain, {socket / 1e9:F1} GB/s best overall"));
    }
}
