using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ImageCore.Execution;
using ImageCore.Simulation;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

/// <summary>Tests that listen to the process-wide meter run alone, so no other run's quanta are counted.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Pipeline metrics";
}

[Collection(MetricsCollection.Name)]
public class PipelineMetricsTests
{
    [Fact]
    public void The_meter_counts_every_quantum_as_the_report_does()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        Simulator.Run(data, new SimulationConfig { Visits = 2, Detectors = "R22_S11,R22_S12", Scale = 8, Seed = 6, SeeingFwhmArcsec = 6.4 });
        // Visit 0's R22_S11 cannot even be planned (its header is cut); visit 1's R22_S12 fails in ISR (its pixels are cut).
        void Cut(string visit, string detector, Func<int, int> keep)
        {
            string path = Path.Combine(data, "raw", visit, detector + ".fits");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..keep(bytes.Length)]);
        }
        Cut("000000", "R22_S11", _ => 2880);
        Cut("000001", "R22_S12", n => n * 2 / 3);

        var counts = new ConcurrentDictionary<(string Step, string Outcome), long>();
        long durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "imagecore.quanta") return;
            string step = "", outcome = "";
            foreach (var t in tags)
            {
                if (t.Key == "step") step = (string)t.Value!;
                if (t.Key == "outcome") outcome = (string)t.Value!;
            }
            counts.AddOrUpdate((step, outcome), value, (_, c) => c + value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "imagecore.quantum.duration" && value >= 0) Interlocked.Increment(ref durations);
        });
        listener.Start();

        var report = Pipeline.Run(data, dir.File("run"), new PipelineConfig { Threads = 2, Order = QuantumOrder.Parse("detector") });
        listener.Dispose();

        long ran = 0;
        foreach (var s in report.Steps)
        {
            counts.TryGetValue((s.Name, "succeeded"), out long ok);
            counts.TryGetValue((s.Name, "failed"), out long failed);
            counts.TryGetValue((s.Name, "skipped"), out long skipped);
            counts.TryGetValue((s.Name, "empty"), out long empty);
            Assert.Equal((s.Succeeded, s.Failed, s.Skipped, s.Empty), ((int)ok, (int)failed, (int)skipped, (int)empty));
            ran += ok + failed + empty;
        }
        Assert.Equal(2, report.Steps.Single(s => s.Name == "isr").Failed);
        Assert.True(report.Steps.Single(s => s.Name == "warp").Skipped > 0);
        Assert.Equal(ran - 1, Interlocked.Read(ref durations));   // every quantum that ran; the unplanned raw never did
    }
}
