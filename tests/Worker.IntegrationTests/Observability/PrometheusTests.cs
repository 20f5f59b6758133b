using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Interop;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Observability;

/// <summary>
/// The observability files checked by the real thing: compose's Prometheus configuration by
/// <c>promtool</c>, the alert rules by their <c>promtool</c> unit tests, and every Grafana panel's
/// query by a real Prometheus scraping a running worker with compose's scrape settings.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class PrometheusTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private const string NotInstalled =
        "Debian's prometheus package (prometheus, promtool) is not installed; .ci/run installs it";

    private static string Compose => Path.Combine(TestPaths.RepositoryRoot, "compose");

    private static string Alerts => Path.Combine(Compose, "prometheus", "alerts.yml");

    [SkippableFact]
    public async Task ComposesPrometheusConfigurationAndRulesPassPromtool()
    {
        Skip.IfNot(PrometheusServer.Installed, NotInstalled);

        var check = await ExternalTool.RunAsync(
            PrometheusServer.Promtool,
            ["check", "config", Path.Combine(Compose, "prometheus", "prometheus.yml")],
            TimeSpan.FromSeconds(60)
        );

        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        Assert.Contains("SUCCESS: 11 rules found", check.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TheAlertRulesPassTheirUnitTestsAndAWrongRuleFailsThem()
    {
        Skip.IfNot(PrometheusServer.Installed, NotInstalled);
        var rules = await File.ReadAllTextAsync(Alerts);

        var passing = await TestRulesAsync(rules);
        // A rule that counts 4xx instead of 5xx: its test series (503s) no longer fire it.
        var wrong = await TestRulesAsync(rules.Replace("status=~\"5..\"", "status=~\"4..\"", StringComparison.Ordinal));

        output.WriteLine(passing.Stdout);
        Assert.True(passing.ExitCode == 0, passing.Stdout + passing.Stderr);
        Assert.Contains("SUCCESS", passing.Stdout, StringComparison.Ordinal);
        output.WriteLine(
            (wrong.Stdout + wrong.Stderr)
                .Split('\n')
                .FirstOrDefault(l => l.Contains("alertname", StringComparison.Ordinal))
                ?? wrong.Stdout + wrong.Stderr
        );
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("alertname: InferencePredict5xx", wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task EveryDashboardQueryReturnsDataFromAPrometheusScrapingTheWorker()
    {
        Skip.IfNot(PrometheusServer.Installed, NotInstalled);
        var harness = new StreamHarness(kafka);
        var ticks = await kafka.CreateTopicAsync("prom-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("prom-regimes", 3);
        // One bootstrap address refuses connections, and the clients connect to every broker they know
        // (not only those they need): they report it, so the Kafka-errors panel has a series, without
        // disturbing the cluster the other tests share.
        await using var worker = await harness.StartAsync(
            ticks,
            regimes,
            await harness.Topics("prom"),
            "00:00:00.250",
            "--Kafka:BootstrapServers",
            kafka.BootstrapServers + ",127.0.0.1:9",
            "--Kafka:Client:enable.sparse.connections",
            "false"
        );
        var api = new Uri(worker.Banner["api"]);
        await using var prometheus = await PrometheusServer.StartAsync(
            ScrapeConfigFor(api.Authority),
            ("alerts.yml", await File.ReadAllTextAsync(Alerts))
        );
        using var http = new HttpClient { BaseAddress = api };
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(() => PredictTrafficAsync(http, stop.Token));

        // The stream (40 s of it) and a few undecodable records (dead letters); the queries are
        // checked while ticks still flow.
        var feed = Task.Run(() =>
            harness.ProduceAsync(
                ticks,
                regimes,
                TimeSpan.FromSeconds(40),
                (round, producer) =>
                {
                    if (round is 20 or 300 or 600)
                    {
                        producer.Produce(
                            ticks,
                            new Message<string, byte[]> { Key = "AAA", Value = Encoding.UTF8.GetBytes("not avro") }
                        );
                    }

                    return Task.CompletedTask;
                }
            )
        );
        await Task.Delay(TimeSpan.FromSeconds(5));

        // Until every panel has something to show (rates need a few scrapes).
        var dashboard = DashboardQueries.Read(
            Path.Combine(Compose, "grafana", "dashboards", "inference-streaming.json")
        );
        var problems = await DashboardQueries.CheckAsync(prometheus, dashboard, IsGpuPanel);
        for (
            var deadline = DateTime.UtcNow.AddSeconds(30);
            problems.Count > 0 && DateTime.UtcNow < deadline;
            problems = await DashboardQueries.CheckAsync(prometheus, dashboard, IsGpuPanel)
        )
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        foreach (var (panel, expression) in dashboard)
        {
            var (_, _, result) = await prometheus.QueryAsync(
                expression.Replace("$__rate_interval", DashboardQueries.RateInterval, StringComparison.Ordinal)
            );
            output.WriteLine(
                $"{panel} | {expression} -> {result.Count} series, e.g. {result.FirstOrDefault()?["value"]?[1]}"
            );
        }

        // The checker catches what a name match cannot: a wrong metric, a wrong label value, rate() of
        // a gauge, a quantile over the wrong histogram series.
        (string, string)[] broken =
        [
            ("Throughput (wrong metric)", "sum(rate(inference_tick_consumed_total[$__rate_interval]))"),
            (
                "Success and error rates (wrong label)",
                "sum by (status) (rate(predictions_total{status=\"sucess\"}[$__rate_interval]))"
            ),
            ("Consumer lag (rate of a gauge)", "sum(rate(inference_consumer_lag[$__rate_interval]))"),
            (
                "Tick-to-decision latency (wrong series)",
                "histogram_quantile(0.99, sum by (le) "
                    + "(rate(inference_tick_to_decision_duration_seconds_sum[$__rate_interval])))"
            ),
        ];
        var caught = await DashboardQueries.CheckAsync(prometheus, broken, IsGpuPanel);
        var rules = (await prometheus.GetAsync("api/v1/rules"))["groups"]!
            .AsArray()
            .SelectMany(g => g!["rules"]!.AsArray())
            .ToList();
        // The series only the alerts read: a healthy worker with every model served.
        var health = (await prometheus.QueryAsync("min(inference_health_status{check=\"overall\"})")).Result.Single()![
            "value"
        ]![1]!.GetValue<string>();
        var refused = (await prometheus.QueryAsync("max(inference_models_refused)")).Result.Single()!["value"]![
            1
        ]!.GetValue<string>();
        var loaded = (await prometheus.QueryAsync("max(inference_models_loaded)")).Result.Single()!["value"]![
            1
        ]!.GetValue<string>();
        await stop.CancelAsync();
        await traffic;
        await feed;

        var lag = (await prometheus.QueryAsync("max(inference_consumer_lag)")).Result.FirstOrDefault()?["value"]?[1];
        Assert.True(
            problems.Count == 0,
            string.Join('\n', problems)
                + $"\nconsumer lag {lag}\n"
                + string.Join('\n', worker.Output.Split('\n').TakeLast(40))
        );
        Assert.True(dashboard.Count >= 20, $"{dashboard.Count} queries");
        output.WriteLine(string.Join('\n', caught));
        Assert.Equal(
            broken.Select(b => b.Item1),
            caught.Select(c => c[..c.IndexOf(':', StringComparison.Ordinal)]).Distinct()
        );
        Assert.Equal(("2", "0", "4"), (health, refused, loaded));
        // compose's alert rules load and evaluate without error on the worker's real series.
        Assert.Equal(11, rules.Count);
        Assert.All(rules, r => Assert.True(r!["health"]!.GetValue<string>() == "ok", r.ToJsonString()));
    }

    private static bool IsGpuPanel(string panel) => panel.Contains("GPU", StringComparison.Ordinal);

    /// <summary>compose's prometheus.yml, scraping <paramref name="target"/> every second instead of the compose
    /// services.</summary>
    private static string ScrapeConfigFor(string target)
    {
        var compose = File.ReadAllText(Path.Combine(Compose, "prometheus", "prometheus.yml"));
        var config = compose
            .Replace("scrape_interval: 5s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 5s", "evaluation_interval: 1s", StringComparison.Ordinal)
            .Replace(
                "dns_sd_configs:\n      - names: [worker, worker-gpu]\n        type: A\n        port: 8000",
                $"static_configs:\n      - targets: [\"{target}\"]",
                StringComparison.Ordinal
            );
        Assert.Contains("scrape_interval: 1s", config, StringComparison.Ordinal);
        Assert.Contains(target, config, StringComparison.Ordinal);
        return config;
    }

    private static async Task PredictTrafficAsync(HttpClient http, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var symbol in new[] { "AAA", "BBB", "NOPE" })
            {
                try
                {
                    using var content = new StringContent(
                        $"{{\"symbol\": \"{symbol}\", \"risk_check\": false}}",
                        Encoding.UTF8,
                        "application/json"
                    );
                    using var response = await http.PostAsync(
                        new Uri("/api/v1/predict", UriKind.Relative),
                        content,
                        cancellationToken
                    );
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>
    /// Runs <c>promtool test rules</c> on the committed alerts.test.yml against <paramref name="rules"/>; the
    /// expected annotations (summary and runbook_url) are in the test file, as an operator runs it.
    /// </summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> TestRulesAsync(string rules)
    {
        var tests = await File.ReadAllTextAsync(Path.Combine(Compose, "prometheus", "alerts.test.yml"));
        var scratch = Directory.CreateTempSubdirectory("promtool-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(scratch, "alerts.yml"), rules);
            await File.WriteAllTextAsync(Path.Combine(scratch, "alerts.test.yml"), tests);
            var run = await ExternalTool.RunAsync(
                PrometheusServer.Promtool,
                ["test", "rules", Path.Combine(scratch, "alerts.test.yml")],
                TimeSpan.FromSeconds(120)
            );
            return (run.ExitCode, run.Stdout, run.Stderr);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
