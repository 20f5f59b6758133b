using System.Text.RegularExpressions;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Interop;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Configuration;

namespace Inference.Streaming.Worker.IntegrationTests.Deployment;

/// <summary>
/// The compose stack and the container images, checked without a Docker engine: Debian's
/// docker-compose parses the compose file under each profile set, the Dockerfile passes a
/// Dockerfile linter, and both agree with the worker's own defaults.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Compose = Path.Combine(TestPaths.RepositoryRoot, "compose");

    [SkippableTheory]
    [InlineData("single,cpu", "kafka", "worker")]
    [InlineData("cluster,gpu", "kafka-3", "worker-gpu")]
    public async Task TheComposeFileParsesUnderEachProfileSet(string profiles, string broker, string worker)
    {
        var compose = ExternalTool.OnPath("docker-compose");
        Skip.If(compose is null, "docker-compose is not installed (Debian's docker-compose; .ci/run installs it)");

        var environment = new Dictionary<string, string>
        {
            ["COMPOSE_PROFILES"] = profiles,
            ["INFERENCE_API_KEY"] = "compose-test-key-0123456789",
        };
        var (code, stdout, stderr) = await ExternalTool.RunAsync(
            compose!,
            ["-f", "docker-compose.yml", "config"],
            TimeSpan.FromSeconds(60),
            environment,
            Compose
        );

        Assert.True(code == 0, stderr);
        Assert.Contains($"\n  {broker}:\n", stdout, StringComparison.Ordinal);
        Assert.Contains($"\n  {worker}:\n", stdout, StringComparison.Ordinal);
        Assert.Contains("SchemaRegistry__Url: http://schema-registry:8081", stdout, StringComparison.Ordinal);
        Assert.Contains("/app/models:ro", stdout, StringComparison.Ordinal);
        Assert.Contains("Api__Keys__0: compose-test-key-0123456789", stdout, StringComparison.Ordinal);
        // No fixed host port for a worker, so --scale can run several.
        Assert.DoesNotContain("published: 8000\n", stdout, StringComparison.Ordinal);
        Assert.Contains("published: 8000-8009\n      target: 8000", stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TheComposeFileRefusesToRunTheWorkerWithoutAnApiKey()
    {
        var compose = ExternalTool.OnPath("docker-compose");
        Skip.If(compose is null, "docker-compose is not installed (Debian's docker-compose; .ci/run installs it)");

        var (code, _, stderr) = await ExternalTool.RunAsync(
            compose!,
            ["-f", "docker-compose.yml", "config"],
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["COMPOSE_PROFILES"] = "single,cpu", ["INFERENCE_API_KEY"] = "" },
            Compose
        );

        Assert.NotEqual(0, code);
        Assert.Contains("INFERENCE_API_KEY", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TheComposeTopicsAreTheWorkersWithItsPartitionCounts()
    {
        var file = File.ReadAllText(Path.Combine(Compose, "docker-compose.yml"));
        var settings = File.ReadAllLines(Path.Combine(Compose, ".env"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        var created = CreateTopic()
            .Matches(file)
            .ToDictionary(
                m => m.Groups["name"].Value,
                m =>
                    m.Groups["partitions"].Value == "\"$$PARTITIONS\""
                        ? int.Parse(settings["TOPIC_PARTITIONS"], System.Globalization.CultureInfo.InvariantCulture)
                        : int.Parse(m.Groups["partitions"].Value, System.Globalization.CultureInfo.InvariantCulture),
                StringComparer.Ordinal
            );

        var kafka = new KafkaOptions();
        KafkaServiceExtensions.ApplyDerivedDefaults(kafka, new ConfigurationBuilder().Build());
        var expected = kafka
            .Topics.All()
            .ToDictionary(t => t.Topic.Name, t => t.Topic.Partitions, StringComparer.Ordinal);
        Assert.Equal(
            expected.OrderBy(e => e.Key, StringComparer.Ordinal),
            created.OrderBy(c => c.Key, StringComparer.Ordinal)
        );
        Assert.Contains(
            "create inference-state \"$$PARTITIONS\" --config cleanup.policy=compact",
            file,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public void PrometheusScrapesTheWorkersMetricsEndpoint()
    {
        var prometheus = File.ReadAllText(Path.Combine(Compose, "prometheus", "prometheus.yml"));
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Dockerfile"));

        Assert.Contains("metrics_path: /metrics", prometheus, StringComparison.Ordinal);
        // Every replica, by the services' names (docker compose up --scale worker=3).
        Assert.Contains("- names: [worker, worker-gpu]", prometheus, StringComparison.Ordinal);
        Assert.Contains("port: 8000", prometheus, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_URLS=http://+:8000", dockerfile, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TheDockerfilePassesTheLinter()
    {
        var linter = Environment.GetEnvironmentVariable("DOCKERFILE_UTILS") is { Length: > 0 } configured
            ? configured
            : ExternalTool.OnPath("dockerfile-utils");
        Skip.If(
            linter is null || !File.Exists(linter),
            "dockerfile-utils is not installed (npm dockerfile-utils; .ci/run installs it and sets DOCKERFILE_UTILS)"
        );
        var dockerfile = Path.Combine(TestPaths.RepositoryRoot, "Dockerfile");

        var (code, stdout, stderr) = await ExternalTool.RunAsync(
            linter!,
            ["lint", dockerfile],
            TimeSpan.FromSeconds(60)
        );
        Assert.True(code == 0 && stdout.Trim().Length == 0, stdout + stderr);

        // The linter must be able to fail: the same file with a broken instruction does not pass.
        var broken = Path.Combine(Path.GetTempPath(), $"Dockerfile-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(
            broken,
            (await File.ReadAllTextAsync(dockerfile)).Replace(
                "EXPOSE 8000",
                "EXPOSE eight-thousand",
                StringComparison.Ordinal
            )
        );
        try
        {
            var (brokenCode, brokenOut, _) = await ExternalTool.RunAsync(
                linter!,
                ["lint", broken],
                TimeSpan.FromSeconds(60)
            );
            Assert.NotEqual(0, brokenCode);
            Assert.Contains("EXPOSE", brokenOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void BothImagesRunAsNonRootWithReadOnlyModelsAndALivenessCheck()
    {
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Dockerfile"));
        var stages = Stage().Matches(dockerfile).Select(m => (m.Groups["base"].Value, m.Groups["name"].Value)).ToList();
        Assert.Equal(["build", "runtime", "cpu", "cuda"], stages.Select(s => s.Item2));
        Assert.Equal("runtime", stages.Single(s => s.Item2 == "cpu").Item1);
        Assert.Equal("runtime", stages.Single(s => s.Item2 == "cuda").Item1);
        Assert.Contains("/health/live", StageBody(dockerfile, "runtime"), StringComparison.Ordinal);
        Assert.Contains("MODEL_DIR=/app/models", StageBody(dockerfile, "runtime"), StringComparison.Ordinal);
        foreach (var stage in new[] { "cpu", "cuda" })
        {
            var instructions = StageBody(dockerfile, stage)
                .Split('\n')
                .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
            Assert.Equal("USER $APP_UID", instructions.Last()); // the last word: everything after runs unprivileged
        }

        Assert.Contains("Inference__LibTorchDirectory=/opt/libtorch", dockerfile, StringComparison.Ordinal);
        Assert.Contains(
            "../models:/app/models:ro",
            File.ReadAllText(Path.Combine(Compose, "docker-compose.yml")),
            StringComparison.Ordinal
        );
    }

    [GeneratedRegex(@"create (?<name>[a-z.-]+) (?<partitions>""\$\$PARTITIONS""|\d+)")]
    private static partial Regex CreateTopic();

    private static string StageBody(string dockerfile, string stage)
    {
        var body = dockerfile[dockerfile.IndexOf($" AS {stage}\n", StringComparison.Ordinal)..];
        var next = body.IndexOf("\nFROM ", StringComparison.Ordinal);
        return next > 0 ? body[..next] : body;
    }

    [GeneratedRegex(@"^FROM (?<base>\S+) AS (?<name>\w+)$", RegexOptions.Multiline)]
    private static partial Regex Stage();
}
