using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>The worker process serving a model directory: refusals by name, health, reload without restart,
/// score.</summary>
public sealed class ModelServingProcessTests : IDisposable
{
    private static readonly string Fixtures = TestPaths.PyTorchFixtures;
    private readonly string _models = Directory.CreateTempSubdirectory("served-models-").FullName;

    public ModelServingProcessTests()
    {
        foreach (var file in Directory.GetFiles(Fixtures, "best_model.pth", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_models, Path.GetRelativePath(Fixtures, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task ABrokenModelIsRefusedByNameTheOthersServeAndAReloadRestoresIt()
    {
        var bull = Path.Combine(_models, "bull_specialist", "best_model.pth");
        var good = await File.ReadAllBytesAsync(bull);
        await File.WriteAllBytesAsync(bull, good[..1000]);
        await using var worker = WorkerProcess.Start(
            "--urls",
            "http://127.0.0.1:0",
            "--Models:Directory",
            _models,
            "--Models:WatchForChanges",
            "false"
        );
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };

        var models = await http.GetFromJsonAsync<ModelsResponse>("/api/v1/models");
        Assert.NotNull(models);
        Assert.Equal(["bear_specialist", "sideways_specialist", "universal"], models.Models.Keys);
        Assert.All(models.Models, m => Assert.Equal(m.Key, m.Value.Name));
        Assert.Equal(3, models.TotalModels);
        var error = Assert.Single(models.Errors);
        Assert.Equal("bull_specialist", error.Name);
        Assert.Equal(bull, error.Path);
        Assert.All(models.Models.Values, m => Assert.Equal(144_388, m.Parameters));
        var refused = await http.GetFromJsonAsync<HealthResponse>("/health");
        Assert.Equal("degraded", refused!.Status);
        Assert.Equal("degraded", refused.Checks["models"].Status);
        Assert.True(refused.ModelLoaded);

        await File.WriteAllBytesAsync(bull, good);
        using var reload = await http.PostAsync(new Uri("/api/v1/models/reload", UriKind.Relative), null);
        var reloaded = await reload.Content.ReadFromJsonAsync<ModelsResponse>();

        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal(4, reloaded!.Models.Count);
        Assert.Equal(4, reloaded.TotalModels);
        Assert.Empty(reloaded.Errors);
        Assert.Equal(2, reloaded.Generation);
        // The models check turns healthy at once; the whole service once the consumer has joined too.
        var health = (await http.GetFromJsonAsync<HealthResponse>("/health"))!;
        Assert.Equal("healthy", health.Checks["models"].Status);
        for (
            var deadline = DateTime.UtcNow.AddSeconds(30);
            health.Status != "healthy" && DateTime.UtcNow < deadline;
            await Task.Delay(100)
        )
        {
            health = (await http.GetFromJsonAsync<HealthResponse>("/health"))!;
        }

        Assert.Equal("healthy", health.Status);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task WithNoModelsTheWorkerRunsButIsNotReady()
    {
        var empty = Directory.CreateTempSubdirectory("no-models-").FullName;
        try
        {
            await using var worker = WorkerProcess.Start("--urls", "http://127.0.0.1:0", "--Models:Directory", empty);
            await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };

            Assert.Equal(
                HttpStatusCode.ServiceUnavailable,
                (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode
            );
            Assert.Equal(
                HttpStatusCode.OK,
                (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode
            );
            var health = await http.GetFromJsonAsync<HealthResponse>("/health");
            Assert.Equal("degraded", health!.Status);
            Assert.False(health.ModelLoaded);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task TheScoreCommandRunsAsAProcessAndFailsWithAClearMessage()
    {
        var input = Path.Combine(_models, "input.json");
        await File.WriteAllTextAsync(
            input,
            JsonSerializer.Serialize(new { inputs = new[] { new float[43], Enumerable.Repeat(0.5f, 43).ToArray() } })
        );

        await using var ok = WorkerProcess.StartTool(
            "score",
            "--model-dir",
            _models,
            "--model",
            "bear_specialist",
            "--input",
            input
        );
        Assert.Equal(0, await ok.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        using var json = JsonDocument.Parse(ok.Output.Trim().Split('\n')[^1]);
        Assert.Equal("bear_specialist", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("probs").GetArrayLength());

        await using var bad = WorkerProcess.StartTool(
            "score",
            "--model-dir",
            _models,
            "--model",
            "lion_specialist",
            "--input",
            input
        );
        Assert.Equal(2, await bad.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("lion_specialist", bad.Output, StringComparison.Ordinal);
    }
}
