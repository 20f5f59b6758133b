using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Pipeline;

/// <summary>One worker process run over a recorded market, with its outputs read back by an independent
/// consumer.</summary>
internal sealed class PipelineRun
{
    public List<TradingDecision> Decisions { get; } = [];

    public List<DecisionForensics> Forensics { get; } = [];

    public List<ConsumeResult<byte[]?, byte[]>> DeadLetters { get; } = [];

    /// <summary>The topic the run's forensics went to.</summary>
    public string ForensicsTopic { get; private set; } = string.Empty;

    /// <summary>The worker's console output, complete once it has stopped.</summary>
    public string Output { get; private set; } = string.Empty;

    public static async Task<PipelineRun> ExecuteAsync(
        KafkaFixture kafka,
        RecordedMarket market,
        int expectedDecisions,
        string selection = "Argmax",
        params string[] settings
    )
    {
        var decisions = await kafka.CreateTopicAsync("decisions", 3);
        var forensics = await kafka.CreateTopicAsync("forensics", 3);
        var state = await kafka.CreateTopicAsync("state", 3);
        var deadLetters = await kafka.CreateTopicAsync("dlq", 1);
        var group = "e2e-" + Guid.NewGuid().ToString("N");
        await kafka.CreateFleetTopicsAsync(group, 3);
        // The caller's settings come last, so they win over the run's defaults.
        await using var worker = WorkerProcess.Start([
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            kafka.BootstrapServers,
            "--SchemaRegistry:Url",
            kafka.SchemaRegistryUrl,
            "--Kafka:GroupId",
            group,
            "--Kafka:Topics:MarketTicks:Name",
            market.TicksTopic,
            "--Kafka:Topics:MarketTicks:Partitions",
            "3",
            "--Kafka:Topics:RegimeUpdates:Name",
            market.RegimesTopic,
            "--Kafka:Topics:RegimeUpdates:Partitions",
            "3",
            "--Kafka:Topics:TradingDecisions:Name",
            decisions,
            "--Kafka:Topics:DecisionForensics:Name",
            forensics,
            "--Kafka:Topics:InferenceState:Name",
            state,
            "--Kafka:Topics:InferenceState:Partitions",
            "3",
            "--Kafka:Topics:DeadLetter:Name",
            deadLetters,
            "--Kafka:Consumer:session.timeout.ms",
            "6000",
            "--Features:BarInterval",
            "00:00:10",
            "--Inference:Selection",
            selection,
            "--Models:Directory",
            TestPaths.PyTorchFixtures,
            "--DemoFeed:Enabled",
            "false",
            .. settings,
        ]);
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        var run = new PipelineRun { ForensicsTopic = forensics };
        var decisionSerde = new ContractSerde<TradingDecision>(kafka.Registry);
        var forensicsSerde = new ContractSerde<DecisionForensics>(kafka.Registry);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(
            new ConsumerConfig
            {
                BootstrapServers = kafka.BootstrapServers,
                GroupId = "reader-" + Guid.NewGuid().ToString("N"),
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
            }
        ).Build();
        consumer.Subscribe([decisions, forensics, deadLetters]);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (
            (
                run.Decisions.Count < expectedDecisions
                || run.Forensics.Count < expectedDecisions
                || run.DeadLetters.Count < market.Poison.Count
            )
            && DateTime.UtcNow < deadline
        )
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is null)
            {
                continue;
            }

            if (record.Topic == decisions)
            {
                run.Decisions.Add(await decisionSerde.DeserializeAsync(record.Message.Value, record.Topic));
                Assert.Equal(run.Decisions[^1].symbol, Encoding.UTF8.GetString(record.Message.Key!));
            }
            else if (record.Topic == forensics)
            {
                run.Forensics.Add(await forensicsSerde.DeserializeAsync(record.Message.Value, record.Topic));
            }
            else
            {
                run.DeadLetters.Add(record);
            }
        }

        // Anything beyond the expected count would be a duplicate or an extra decision.
        var extra = consumer.Consume(TimeSpan.FromSeconds(2));
        Assert.True(extra is null || extra.Topic == deadLetters, $"an unexpected extra record on {extra?.Topic}");
        await worker.TerminateAsync(TimeSpan.FromSeconds(15));
        run.Output = worker.Output;
        return run;
    }
}
