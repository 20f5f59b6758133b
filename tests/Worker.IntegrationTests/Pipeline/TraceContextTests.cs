using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Pipeline;

/// <summary>
/// W3C trace context travels from the tick that closes a bar to the decision and forensics headers: through the
/// worker's publish span when traces are exported, and unchanged (the worker records no spans) when they are not.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class TraceContextTests(KafkaFixture kafka)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheClosingTicksTraceContinuesInTheDecisionHeaders(bool exported)
    {
        var ticks = await kafka.CreateTopicAsync("trace-ticks", 1);
        var regimes = await kafka.CreateTopicAsync("trace-regimes", 1);
        var decisions = await kafka.CreateTopicAsync("trace-decisions", 1);
        var forensics = await kafka.CreateTopicAsync("trace-forensics", 1);
        var state = await kafka.CreateTopicAsync("trace-state", 1);
        var dlq = await kafka.CreateTopicAsync("trace-dlq", 1);
        var group = "trace-" + (exported ? "x-" : "n-") + Guid.NewGuid().ToString("N");
        await kafka.CreateFleetTopicsAsync(group, 1);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var serde = new ContractSerde<MarketTick>(kafka.Registry);
        using (var producer = kafka.CreateProducer())
        {
            var start = new DateTime(2026, 4, 1, 10, 0, 0, DateTimeKind.Utc);
            await producer.ProduceAsync(
                ticks,
                new Message<string, byte[]>
                {
                    Key = "TRC",
                    Value = await serde.SerializeAsync(
                        new MarketTick
                        {
                            symbol = "TRC",
                            event_time = start,
                            price = 10,
                            size = 1,
                        },
                        ticks
                    ),
                }
            );
            await producer.ProduceAsync(
                ticks,
                new Message<string, byte[]>
                {
                    Key = "TRC",
                    Value = await serde.SerializeAsync(
                        new MarketTick
                        {
                            symbol = "TRC",
                            event_time = start.AddSeconds(61),
                            price = 11,
                            size = 1,
                        },
                        ticks
                    ),
                    Headers = new Headers
                    {
                        { "traceparent", Encoding.UTF8.GetBytes($"00-{traceId}-00f067aa0ba902b7-01") },
                    },
                }
            );
        }

        string[] export = exported
            // Nothing listens there: the exporter's failures stay inside it, and the spans are still recorded.
            ? ["--Telemetry:Otlp:Endpoint", "http://127.0.0.1:9"]
            : [];
        // An OTLP endpoint in this process's environment would turn export on in the worker it starts.
        var environment = exported
            ? new Dictionary<string, string>()
            : new[] { "", "_TRACES", "_METRICS" }.ToDictionary(s => $"OTEL_EXPORTER_OTLP{s}_ENDPOINT", _ => "");
        await using var worker = WorkerProcess.StartWith(
            environment,
            [
                .. export,
                "--urls",
                "http://127.0.0.1:0",
                "--Kafka:BootstrapServers",
                kafka.BootstrapServers,
                "--SchemaRegistry:Url",
                kafka.SchemaRegistryUrl,
                "--Kafka:GroupId",
                group,
                "--Kafka:Topics:MarketTicks:Name",
                ticks,
                "--Kafka:Topics:MarketTicks:Partitions",
                "1",
                "--Kafka:Topics:RegimeUpdates:Name",
                regimes,
                "--Kafka:Topics:RegimeUpdates:Partitions",
                "1",
                "--Kafka:Topics:TradingDecisions:Name",
                decisions,
                "--Kafka:Topics:DecisionForensics:Name",
                forensics,
                "--Kafka:Topics:InferenceState:Name",
                state,
                "--Kafka:Topics:InferenceState:Partitions",
                "1",
                "--Kafka:Topics:DeadLetter:Name",
                dlq,
                "--Models:Directory",
                TestPaths.PyTorchFixtures,
                "--DemoFeed:Enabled",
                "false",
            ]
        );
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        using var consumer = kafka.CreateConsumer();
        consumer.Subscribe([decisions, forensics]);
        var headers = new Dictionary<string, string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (headers.Count < 2 && DateTime.UtcNow < deadline)
        {
            if (
                consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record
                && record.Message.Headers.TryGetLastBytes("traceparent", out var value)
            )
            {
                headers[record.Topic] = Encoding.UTF8.GetString(value);
            }
        }

        Assert.Equal(2, headers.Count);
        foreach (var traceParent in headers.Values)
        {
            var parts = traceParent.Split('-');
            Assert.Equal(traceId, parts[1]);
            if (exported)
            {
                // The worker's own publish span.
                Assert.NotEqual("00f067aa0ba902b7", parts[2]);
            }
            else
            {
                Assert.Equal($"00-{traceId}-00f067aa0ba902b7-01", traceParent);
            }
        }

        Assert.Equal(headers[decisions], headers[forensics]);
    }
}
