using System.Diagnostics.Metrics;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Diagnostics;

public sealed class GpuMetricsTests
{
    [Fact]
    public void OnCpuTheGaugesExistButReportNothingRatherThanAZero()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var device = new TorchDevice(Options.Create(new InferenceOptions { Device = "cpu" }));
        using var gpu = new GpuMetrics(services.GetRequiredService<IMeterFactory>(), device);
        var instruments = new List<string>();
        var measurements = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GpuMetrics.MeterName)
                {
                    instruments.Add($"{instrument.Name} [{instrument.Unit}]");
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => measurements++);
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => measurements++);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.False(gpu.Available);
        Assert.Equal(
            [$"{GpuMetrics.MemoryInstrument} [By]", $"{GpuMetrics.UtilizationInstrument} [%]"],
            instruments.Order(StringComparer.Ordinal)
        );
        Assert.Equal(0, measurements);
    }
}
