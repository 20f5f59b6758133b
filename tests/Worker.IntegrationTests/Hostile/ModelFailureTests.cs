using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Classes 3, 4 and 5 of the hostile-input issue: checkpoints of the wrong width, with non-finite
/// weights, or whose pickle claims gigabytes. Each is refused by name, the others serve, a bar no
/// model can decide is dead-lettered, and input offsets keep moving.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ModelFailureTests(KafkaFixture kafka, ITestOutputHelper output)
{
    [Theory]
    [InlineData("universal-serves")]
    [InlineData("only-bull-serves")]
    public async Task BrokenModelsAreRefusedByNameAndEveryBarIsDecidedOrDeadLettered(string layout)
    {
        var directory = HostileModels.CopyFixtures();
        string[] refused;
        if (layout == "universal-serves")
        {
            HostileModels.WrongWidth(HostileModels.PathOf(directory, ModelNames.Bull), 44);
            HostileModels.NonFinite(HostileModels.PathOf(directory, ModelNames.Bear), double.NaN);
            HostileModels.WrongWidth(HostileModels.PathOf(directory, ModelNames.Sideways), 53);
            refused = [ModelNames.Bull, ModelNames.Bear, ModelNames.Sideways];
        }
        else
        {
            HostileModels.WrongWidth(HostileModels.PathOf(directory, ModelNames.Bear), 1);
            HostileModels.NonFinite(HostileModels.PathOf(directory, ModelNames.Sideways), double.PositiveInfinity);
            HostileModels.HugeLength(HostileModels.PathOf(directory, ModelNames.Universal));
            refused = [ModelNames.Bear, ModelNames.Sideways, ModelNames.Universal];
        }

        try
        {
            var run = new HostileRun(kafka, "models-" + layout);
            await run.CreateTopicsAsync();
            await using var worker = await run.RunAsync(null, "--Models:Directory", directory);
            using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };

            var models = await http.GetFromJsonAsync<ModelsResponse>(new Uri("/api/v1/models", UriKind.Relative));
            Assert.Equal(refused.Order(), models!.Errors.Select(e => e.Name).Order());
            Assert.All(
                models.Errors,
                e => Assert.EndsWith(ModelNames.CheckpointFile, e.Path, StringComparison.Ordinal)
            );
            Assert.Equal(("degraded", "degraded"), await HealthAsync(http));

            var decisions =
                layout == "universal-serves"
                    ? await run.DecisionsAsync(StreamHarness.ExpectedDecisions)
                    : await run.DecisionsAsync(1);
            var failed =
                layout == "universal-serves"
                    ? []
                    : await run.DeadLettersAsync(StreamHarness.ExpectedDecisions - decisions.Count);
            output.WriteLine(
                $"{layout}: {decisions.Count} decisions, {failed.Count} decision-failed dead letters; refused: "
                    + $"{string.Join("; ", models.Errors.Select(e => $"{e.Name}: {e.Reason}"))}"
            );

            // Every bar is accounted for: decided, or dead-lettered with the reason.
            Assert.Equal(
                StreamHarness.ExpectedDecisions,
                decisions.Select(d => d.decision_id).Distinct().Count() + failed.Count
            );
            if (layout == "universal-serves")
            {
                Assert.All(decisions, d => Assert.Equal(ModelNames.Universal, d.selected_model));
            }
            else
            {
                Assert.All(decisions, d => Assert.Equal(ModelNames.Bull, d.selected_model));
                Assert.NotEmpty(failed);
                Assert.All(
                    failed,
                    l =>
                    {
                        Assert.Equal("decision-failed", HostileRun.Header(l, "dlq.reason"));
                        Assert.Equal("no-model", HostileRun.Header(l, "dlq.failure"));
                        Assert.Contains(HostileRun.Header(l, "dlq.symbol"), StreamHarness.Symbols);
                        var bar = JsonDocument.Parse(l.Message.Value!).RootElement;
                        Assert.Equal(43, bar.GetProperty("features").GetArrayLength());
                    }
                );
                var metrics = await HostileRun.MetricsAsync(worker);
                Assert.Contains(
                    metrics.Split('\n'),
                    line =>
                        line.StartsWith("inference_decision_failures_total{", StringComparison.Ordinal)
                        && line.Contains("reason=\"no-model\"", StringComparison.Ordinal)
                );
            }

            await AssertOffsetsReachTheEndAsync(run);
            Assert.False(worker.HasExited);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AHugeLengthCheckpointIsRefusedAtStartOnReloadAndByScoreWithoutCrashing()
    {
        var directory = HostileModels.CopyFixtures();
        var universal = HostileModels.PathOf(directory, ModelNames.Universal);
        var good = File.ReadAllBytes(universal);
        HostileModels.HugeLength(universal);
        try
        {
            var run = new HostileRun(kafka, "huge-model");
            await run.CreateTopicsAsync();
            await using var worker = await run.RunAsync(
                null,
                "--Models:Directory",
                directory,
                "--Models:WatchForChanges",
                "false"
            );
            using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };

            // At start: refused by name, the others serve, /health says so.
            var models = await http.GetFromJsonAsync<ModelsResponse>(new Uri("/api/v1/models", UriKind.Relative));
            var error = Assert.Single(models!.Errors);
            Assert.Equal(ModelNames.Universal, error.Name);
            Assert.Contains("data.pkl claims", error.Reason, StringComparison.Ordinal);
            Assert.Equal(3, models.Models.Count);
            Assert.Equal(("degraded", "degraded"), await HealthAsync(http));

            // A reload with the good file back serves all four.
            File.WriteAllBytes(universal, good);
            using (var reload = await http.PostAsync(new Uri("/api/v1/models/reload", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
            }

            // The models' check is healthy again (the whole may still wait for the consumer's assignment).
            Assert.Equal("healthy", (await HealthAsync(http)).Models);

            // A live reload onto a hostile file, then onto a 2 GiB one: problem details, never a 500.
            foreach (
                var (write, reason) in new (Action, string)[]
                {
                    (() => HostileModels.HugeLength(universal), "data.pkl claims"),
                    (() => HostileModels.Sparse(universal), "Models:MaxFileBytes"),
                }
            )
            {
                write();
                var stopwatch = Stopwatch.StartNew();
                using var reload = await http.PostAsync(new Uri("/api/v1/models/reload", UriKind.Relative), null);
                var problem = await reload.Content.ReadFromJsonAsync<JsonElement>();
                output.WriteLine(
                    $"reload onto {reason}: {(int)reload.StatusCode} in {stopwatch.ElapsedMilliseconds} ms: {problem}"
                );
                Assert.Equal(HttpStatusCode.UnprocessableEntity, reload.StatusCode);
                Assert.Equal("application/problem+json", reload.Content.Headers.ContentType?.MediaType);
                Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.Contains(
                    ModelNames.Universal,
                    problem.GetProperty("detail").GetString(),
                    StringComparison.Ordinal
                );
                Assert.Equal(("degraded", "degraded"), await HealthAsync(http));
            }

            // The stream goes on with the specialists and universal's fallbacks refused.
            Assert.NotEmpty(await run.DecisionsAsync(1));
            Assert.False(worker.HasExited);

            // score refuses the file with a message and exit code 1, not an abort.
            HostileModels.HugeLength(universal);
            await using var score = WorkerProcess.StartTool(
                "score",
                "--model-dir",
                directory,
                "--model",
                ModelNames.Universal,
                "--input",
                Path.Combine(ModelNames.FolderOf(TestPaths.PyTorchFixtures, ModelNames.Universal), "reference.json")
            );
            Assert.Equal(1, await score.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("refused", score.Output, StringComparison.Ordinal);
            Assert.Contains("data.pkl claims", score.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // /health's status, and its models check.
    private static async Task<(string? Status, string? Models)> HealthAsync(HttpClient http)
    {
        var health = await http.GetFromJsonAsync<JsonElement>(new Uri("/health", UriKind.Relative));
        return (
            health.GetProperty("status").GetString(),
            health.GetProperty("checks").GetProperty("models").GetProperty("status").GetString()
        );
    }

    // The group's committed offsets reach the end of every tick partition: no failed bar freezes them.
    private async Task AssertOffsetsReachTheEndAsync(HostileRun run)
    {
        using var reader = new ConsumerBuilder<byte[], byte[]>(
            new ConsumerConfig
            {
                BootstrapServers = kafka.BootstrapServers,
                GroupId = run.Topics.Group,
                EnableAutoCommit = false,
            }
        ).Build();
        var partitions = Enumerable.Range(0, 3).Select(p => new TopicPartition(run.Ticks, p)).ToList();
        var ends = partitions.ToDictionary(
            p => p,
            p => reader.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value
        );
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<TopicPartitionOffset> committed;
        do
        {
            await Task.Delay(500);
            committed = reader.Committed(partitions, TimeSpan.FromSeconds(10));
        } while (
            DateTime.UtcNow < deadline && committed.Any(c => Math.Max(0, c.Offset.Value) < ends[c.TopicPartition])
        );

        // An empty partition has nothing to commit (Offset.Unset).
        Assert.All(committed, c => Assert.Equal(ends[c.TopicPartition], Math.Max(0, c.Offset.Value)));
    }
}
