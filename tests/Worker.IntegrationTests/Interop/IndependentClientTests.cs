using System.Text.Json;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Interop;

/// <summary>Clients nobody here wrote read what the worker's code writes.</summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class IndependentClientTests(KafkaFixture kafka)
{
    private const string Kcat = "/usr/bin/kcat";
    private const string Python = "/usr/bin/python3";

    [SkippableFact]
    public async Task KcatListsTopicsAndConsumesARecordTheWorkerProduced()
    {
        Skip.IfNot(ExternalTool.Exists(Kcat), "kcat is not installed (apt-get install kcat; .ci/run does)");
        var topic = await kafka.CreateTopicAsync("kcat", partitions: 3);
        var value = await ProduceDecisionAsync(topic);

        var list = await ExternalTool.RunAsync(
            Kcat,
            ["-L", "-b", kafka.BootstrapServers, "-t", topic],
            TimeSpan.FromSeconds(30)
        );
        Assert.Equal(0, list.ExitCode);
        Assert.Contains($"topic \"{topic}\" with 3 partitions", list.Stdout, StringComparison.Ordinal);

        var consume = await ExternalTool.RunAsync(
            Kcat,
            ["-C", "-b", kafka.BootstrapServers, "-t", topic, "-o", "beginning", "-c", "1", "-e", "-f", "%k|%S|%T\n"],
            TimeSpan.FromSeconds(30)
        );
        Assert.Equal(0, consume.ExitCode);
        var fields = consume.Stdout.Trim().Split('|');
        Assert.Equal("AAPL", fields[0]);
        Assert.Equal(value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[1]);
    }

    [SkippableFact]
    public async Task PythonConfluentKafkaAndAvroDecodeATradingDecisionWithTheSchemaFromTheRegistry()
    {
        Skip.IfNot(ExternalTool.Exists(Python), "Debian's python3 is not installed");
        var probe = await ExternalTool.RunAsync(
            Python,
            ["-c", "import confluent_kafka.schema_registry, avro.io"],
            TimeSpan.FromSeconds(30)
        );
        Skip.IfNot(
            probe.ExitCode == 0,
            "python3-confluent-kafka, python3-requests or python3-avro missing: " + probe.Stderr
        );
        var topic = await kafka.CreateTopicAsync("python");
        var sent = SampleRecords.Decision();
        await ProduceDecisionAsync(topic, sent);

        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "decode_decision.py");
        var run = await ExternalTool.RunAsync(
            Python,
            [script, kafka.BootstrapServers, kafka.SchemaRegistryUrl, topic],
            TimeSpan.FromSeconds(90)
        );

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal("AAPL", root.GetProperty("key").GetString());
        Assert.Equal(
            "Inference.Streaming.Contracts.Events.TradingDecision",
            root.GetProperty("schema_name").GetString()
        );
        var record = root.GetProperty("record");
        Assert.Equal(sent.decision_id, record.GetProperty("decision_id").GetString());
        Assert.Equal("HOLD", record.GetProperty("action").GetString());
        Assert.Equal("BUY", record.GetProperty("proposed_action").GetString());
        Assert.Equal(sent.confidence, record.GetProperty("confidence").GetDouble());
        Assert.Equal(sent.recommended_quantity, record.GetProperty("recommended_quantity").GetInt32());
        Assert.Equal(
            new DateTimeOffset(sent.bar_end).ToUnixTimeMilliseconds(),
            record.GetProperty("bar_end").GetInt64()
        );
        Assert.Equal(sent.regime.entropy, record.GetProperty("regime").GetProperty("entropy").GetDouble());
        Assert.Equal(
            sent.strategy_weights.sideways_specialist,
            record.GetProperty("strategy_weights").GetProperty("sideways_specialist").GetDouble()
        );
        Assert.Equal(
            "FAIL",
            record.GetProperty("risk").GetProperty("checks").GetProperty("position_limit").GetString()
        );
        Assert.Equal(sent.risk.warnings[0], record.GetProperty("risk").GetProperty("warnings")[0].GetString());
        Assert.Equal(sent.latency_ms, record.GetProperty("latency_ms").GetDouble());
    }

    private async Task<byte[]> ProduceDecisionAsync(string topic, TradingDecision? decision = null)
    {
        var bytes = await new ContractSerde<TradingDecision>(kafka.Registry).SerializeAsync(
            decision ?? SampleRecords.Decision(),
            topic
        );
        using var producer = kafka.CreateProducer();
        await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = "AAPL", Value = bytes });
        return bytes;
    }
}
