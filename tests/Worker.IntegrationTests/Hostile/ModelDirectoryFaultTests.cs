using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Hostile input, round 2, classes 3 and 5, through the worker process: a non-atomic deploy
/// (<c>rm -rf models; cp -r new models</c>) while the market streams, then special files in place
/// of checkpoints. Before: the reload answered 422 and installed an empty set (every later bar
/// dead-lettered as decision-failed, the watcher never recovered); a FIFO wedged every later reload.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ModelDirectoryFaultTests(KafkaFixture kafka, ITestOutputHelper output)
{
    [Fact]
    public async Task ADirectoryRemovedMidStreamKeepsTheSetServingAndTheWatcherLoadsItsReturnAndSpecialFilesAreRefused()
    {
        var directory = HostileModels.CopyFixtures();
        var backup = HostileModels.CopyFixtures();
        try
        {
            var run = new HostileRun(kafka, "model-dir-faults");
            await run.CreateTopicsAsync();
            await using var worker = await run.StartAsync(
                "--Models:Directory",
                directory,
                "--Models:ReloadDebounce",
                "00:00:00.200"
            );
            using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
            await Eventually.HoldsAsync(
                async () =>
                    (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60),
                "the worker to be ready"
            );
            string? refusal = null;
            await run.ProduceAsync(
                async (round, _) =>
                {
                    if (round == 300)
                    {
                        Directory.Delete(directory, recursive: true);
                        using var reload = await ReloadAsync(http);
                        Assert.Equal(HttpStatusCode.UnprocessableEntity, reload.StatusCode);
                        refusal = (await reload.Content.ReadFromJsonAsync<JsonElement>())
                            .GetProperty("detail")
                            .GetString();
                        Assert.Equal(4, (await ModelsAsync(http)).Models.Count);
                    }
                    else if (round == 600)
                    {
                        // The deploy's copy, half a minute of market later.
                        CopyDirectory(backup, directory);
                    }
                }
            );
            output.WriteLine($"reload of a missing directory: {refusal}");
            Assert.Contains("model directory not found", refusal, StringComparison.Ordinal);

            // Every bar decided by the set that kept serving (none dead-lettered for want of a model).
            var decisions = await run.DecisionsAsync(StreamHarness.ExpectedDecisions);
            Assert.Equal(StreamHarness.ExpectedDecisions, decisions.Select(d => d.decision_id).Distinct().Count());
            Assert.Empty(await run.DeadLettersAsync(0));

            // The watcher found the directory again by itself.
            await Eventually.HoldsAsync(
                async () => (await ModelsAsync(http)) is { Models.Count: 4, Errors.Count: 0 },
                TimeSpan.FromSeconds(30),
                "the watcher to load the directory that came back"
            );

            // Special files in place of two checkpoints: refused by name, unopened, and quickly.
            var bull = HostileModels.PathOf(directory, ModelNames.Bull);
            var bear = HostileModels.PathOf(directory, ModelNames.Bear);
            File.Delete(bull);
            Process.Start("mkfifo", [bull]).WaitForExit();
            File.Delete(bear);
            File.CreateSymbolicLink(bear, "/dev/zero");
            var clock = Stopwatch.StartNew();
            using (var reload = await ReloadAsync(http))
            {
                output.WriteLine(
                    $"reload onto a FIFO and /dev/zero: {(int)reload.StatusCode} in {clock.ElapsedMilliseconds} ms"
                );
            }

            var models = await ModelsAsync(http);
            Assert.Equal([ModelNames.Bear, ModelNames.Bull], models.Errors.Select(e => e.Name).Order());
            Assert.All(models.Errors, e => Assert.Contains("not a regular file", e.Reason, StringComparison.Ordinal));
            Assert.Equal(2, models.Models.Count);

            // A second reload is not held up by the first; fixed files serve again.
            File.Delete(bull);
            File.Delete(bear);
            File.Copy(HostileModels.PathOf(backup, ModelNames.Bull), bull);
            File.Copy(HostileModels.PathOf(backup, ModelNames.Bear), bear);
            using (var reload = await ReloadAsync(http))
            {
                Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
            }

            Assert.Equal(4, (await ModelsAsync(http)).Models.Count);
            Assert.False(worker.HasExited);
        }
        finally
        {
            foreach (var path in new[] { directory, backup })
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
            }
        }
    }

    private static Task<HttpResponseMessage> ReloadAsync(HttpClient http) =>
        http.PostAsync(new Uri("/api/v1/models/reload", UriKind.Relative), null);

    private static async Task<ModelsResponse> ModelsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<ModelsResponse>(new Uri("/api/v1/models", UriKind.Relative)))!;

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
