using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// Requests a client can get wrong on a real Kestrel socket: broken chunked encoding, a body that
/// stalls, duplicate JSON keys, values of the wrong JSON type. Each is a 4xx problem, logged without
/// a stack trace, never a 500.
/// </summary>
public sealed class HttpEdgeTests
{
    [Fact]
    public async Task BrokenBodiesAndAmbiguousJsonAreClientErrorsWithoutStackTraces()
    {
        await using var worker = WorkerProcess.Start("--urls", "http://127.0.0.1:0", "--DemoFeed:Enabled", "false");
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        var api = new Uri(worker.Banner["api"]);

        // Chunk sizes that are not hex, or too long for any length.
        foreach (var chunk in new[] { "zz", "FFFFFFFFFFFFFFFFFF", "-1" })
        {
            var answer = await RawAsync(
                api,
                "POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                    + $"chunked\r\n\r\n{chunk}\r\n{{\"symbol\":\"AAPL\"}}\r\n0\r\n\r\n",
                TimeSpan.Zero
            );
            Assert.True(
                answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal),
                $"{chunk}: {answer}\n{worker.Output}"
            );
        }

        // A body that stops arriving: Kestrel's minimum data rate (240 bytes/s after a 5 s grace) gives up.
        var stalled = await RawAsync(
            api,
            "POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + "1000\r\n\r\n{\"symbol\":",
            TimeSpan.FromSeconds(12)
        );
        Assert.Matches("^HTTP/1.1 (408|400)", stalled);

        using var http = new HttpClient { BaseAddress = api };
        foreach (
            var (body, field, words) in new[]
            {
                ("{\"symbol\":\"AAPL\",\"SYMBOL\":\"MSFT\"}", "symbol", "more than once"),
                ("{\"symbol\":\"AAPL\",\"symbol\":\"MSFT\"}", "symbol", "more than once"),
                ("{\"symbol\":\"AAPL\",\"risk_check\":\"yes\"}", "risk_check", "must be a boolean"),
                ("{\"symbol\":\"AAPL\",\"timestamp\":42}", "timestamp", "date-time"),
                ("{\"symbol\":[1]}", "symbol", "must be a string"),
            }
        )
        {
            using var response = await http.PostAsync(
                new Uri("/api/v1/predict", UriKind.Relative),
                new StringContent(body, Encoding.UTF8, "application/json")
            );
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            using var problem = JsonDocument.Parse(text);
            var message = problem.RootElement.GetProperty("errors").GetProperty(field)[0].GetString()!;
            Assert.Contains(words, message, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Inference.Streaming", text, StringComparison.Ordinal);
        }

        // Read once the worker has stopped, when its output is complete: the console logger writes behind the work.
        await worker.TerminateAsync(TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("fail:", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("BadHttpRequestException", worker.Output, StringComparison.Ordinal);
    }

    // Sends raw bytes, waits, and returns the first line of what comes back (empty if nothing).
    private static async Task<string> RawAsync(Uri api, string request, TimeSpan hold)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(api.Host, api.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(hold + TimeSpan.FromSeconds(15));
        return await reader.ReadLineAsync(timeout.Token) ?? string.Empty;
    }
}
