using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Inference.Streaming.Worker.IntegrationTests.Observability;

/// <summary>
/// Debian's <c>prometheus</c> (installed by <c>.ci/run</c>) as a child process on a free loopback
/// port, with its own configuration and storage in a scratch folder; its HTTP query API for tests.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";
    public const string Promtool = "/usr/bin/promtool";

    private readonly Process _process;
    private readonly string _scratch;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string scratch, Uri address)
    {
        (_process, _scratch) = (process, scratch);
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public static bool Installed => File.Exists(Binary) && File.Exists(Promtool);

    /// <summary>Starts Prometheus on <paramref name="configuration"/>, with <paramref name="files"/> (name, text)
    /// beside it.</summary>
    public static async Task<PrometheusServer> StartAsync(
        string configuration,
        params (string Name, string Text)[] files
    )
    {
        var scratch = Directory.CreateTempSubdirectory("prometheus-").FullName;
        var config = Path.Combine(scratch, "prometheus.yml");
        await File.WriteAllTextAsync(config, configuration);
        foreach (var (name, text) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(scratch, name), text);
        }

        var port = FreePort();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "--config.file=" + config,
                "--storage.tsdb.path=" + Path.Combine(scratch, "data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn",
            },
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, scratch, new Uri($"http://127.0.0.1:{port}/"));
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            try
            {
                using var ready = await server._http.GetAsync(new Uri("-/ready", UriKind.Relative));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited) { }

            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException("Prometheus did not become ready.");
            }
        }
    }

    /// <summary>An instant query at the current time: the API's status ("success" or "error"), its error, and the
    /// result.</summary>
    public async Task<(string Status, string? Error, JsonArray Result)> QueryAsync(string expression)
    {
        using var response = await _http.GetAsync(
            new Uri("api/v1/query?query=" + Uri.EscapeDataString(expression), UriKind.Relative)
        );
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (
            body["status"]!.GetValue<string>(),
            body["error"]?.GetValue<string>(),
            body["data"]?["result"]?.AsArray() ?? []
        );
    }

    /// <summary>GET of a path of the HTTP API (e.g. <c>api/v1/metadata</c>), its <c>data</c>.</summary>
    public async Task<JsonNode> GetAsync(string path) =>
        JsonNode.Parse(await _http.GetStringAsync(new Uri(path, UriKind.Relative)))!["data"]!;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
