using System.Net;
using Inference.Streaming.Tools.Commands;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Forensics;

/// <summary>
/// A registry that needs credentials, for real: the <c>broker</c> process's embedded registry with
/// <c>Embedded:SchemaRegistryUserInfo</c>. The worker and the forensics commands reach it with
/// <c>SchemaRegistry:Client:*</c>; without them a command fails saying why. Before, <c>export</c>,
/// <c>replay</c> and <c>experiment-report</c> built their registry client from the URL alone (and
/// their consumer from the bootstrap servers alone), so no secured cluster could be read.
/// </summary>
public sealed class SecuredRegistryTests(ITestOutputHelper output) : IDisposable
{
    private const string UserInfo = "forensics:s3cret-0123456789";
    private readonly string _scratch = Directory.CreateTempSubdirectory("secured-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task TheWorkerAndExportReachARegistryThatNeedsCredentialsAndExportWithoutThemSaysWhy()
    {
        await using var broker = WorkerProcess.Start(
            "broker",
            "--urls",
            "http://127.0.0.1:0",
            "--demo-feed",
            "true",
            "--Embedded:SchemaRegistryUserInfo",
            UserInfo
        );
        await broker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        var bootstrap = broker.Banner["kafka.bootstrap"];
        var registry = broker.Banner["schema.registry"];
        using (var http = new HttpClient())
        {
            using var anonymous = await http.GetAsync(new Uri(registry + "/subjects"));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        string[] credentials =
        [
            "--SchemaRegistry:Client:schema.registry.basic.auth.credentials.source",
            "USER_INFO",
            "--SchemaRegistry:Client:schema.registry.basic.auth.user.info",
            UserInfo,
        ];
        await using var worker = WorkerProcess.Start([
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            bootstrap,
            "--SchemaRegistry:Url",
            registry,
            .. credentials,
        ]);
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        var exported = Path.Combine(_scratch, "with.jsonl");
        await Eventually.HoldsAsync(
            async () =>
            {
                var export = await ForensicsCli.InvokeAsync([
                    "export",
                    "--bootstrap",
                    bootstrap,
                    "--registry",
                    registry,
                    "--jsonl",
                    exported,
                    .. credentials,
                ]);
                return export.Code == 0 && File.Exists(exported) && File.ReadLines(exported).Any();
            },
            TimeSpan.FromSeconds(120),
            "export with credentials to write the worker's first forensics records"
        );

        var (code, text) = await ForensicsCli.InvokeAsync([
            "export",
            "--bootstrap",
            bootstrap,
            "--registry",
            registry,
            "--jsonl",
            Path.Combine(_scratch, "without.jsonl"),
        ]);
        output.WriteLine(text);
        Assert.Equal(ForensicsCommands.Failed, code);
        Assert.Contains("401", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.False(worker.HasExited);
    }
}
