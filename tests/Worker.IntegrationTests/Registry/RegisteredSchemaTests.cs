using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.IntegrationTests.Hosting;

namespace Inference.Streaming.Worker.IntegrationTests.Registry;

/// <summary>
/// <c>SchemaRegistry:AutoRegisterSchemas</c> false, as on a production registry: a worker whose subjects are not
/// registered does not start, and names them; once they are, it starts and registers nothing.
/// </summary>
public sealed class RegisteredSchemaTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WithoutAutoRegistrationAMissingSubjectStopsTheStartByNameAndRegisteredOnesServe()
    {
        await using var broker = WorkerProcess.Start("broker", "--urls", "http://127.0.0.1:0");
        await broker.WaitUntilReadyAsync(StartTimeout);
        string[] args =
        [
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            broker.Banner["kafka.bootstrap"],
            "--SchemaRegistry:Url",
            broker.Banner["schema.registry"],
            "--SchemaRegistry:AutoRegisterSchemas",
            "false",
        ];

        await using (var refused = WorkerProcess.Start(args))
        {
            Assert.NotEqual(0, await refused.WaitForExitAsync(StartTimeout));
            Assert.Contains("AutoRegisterSchemas is false", refused.Output, StringComparison.Ordinal);
            foreach (var subject in Subjects)
            {
                Assert.Contains(subject.Name, refused.Output, StringComparison.Ordinal);
            }
        }

        using var registry = new CachedSchemaRegistryClient(
            new SchemaRegistryConfig { Url = broker.Banner["schema.registry"] }
        );
        foreach (var (subject, schema) in Subjects)
        {
            await registry.RegisterSchemaAsync(subject, new Schema(schema, SchemaType.Avro));
        }

        var before = await registry.GetAllSubjectsAsync();
        await using var worker = WorkerProcess.Start(args);
        await worker.WaitUntilReadyAsync(StartTimeout);
        Assert.Equal(before.Order(), (await registry.GetAllSubjectsAsync()).Order());
        await worker.TerminateAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, worker.ExitCode);
    }

    private static readonly (string Name, string Schema)[] Subjects =
    [
        ("trading-decisions-value", TradingDecision._SCHEMA.ToString()),
        ("decision-forensics-value", DecisionForensics._SCHEMA.ToString()),
        ("inference-state-value", SymbolStateSnapshot._SCHEMA.ToString()),
        ("inference-streaming-observations-value", SymbolObservation._SCHEMA.ToString()),
    ];
}
