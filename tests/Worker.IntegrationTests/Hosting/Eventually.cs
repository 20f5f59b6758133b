using System.Globalization;
using System.Text.RegularExpressions;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>Awaits a condition with a deadline instead of sleeping for a guessed time.</summary>
public static partial class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test, naming <paramref name="what"/>,
    /// after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"within {timeout.TotalSeconds:F0} s: {what}");
            }

            await Task.Delay(Poll);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, what);

    /// <summary>Waits until the worker's <c>/metrics</c> show at least <paramref name="minimum"/> for the counter
    /// <paramref name="name"/>, summed over its labels.</summary>
    public static Task CounterReachesAsync(HttpClient http, string name, double minimum, TimeSpan timeout) =>
        HoldsAsync(
            async () => Sum(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), name) >= minimum,
            timeout,
            $"{name} reaches {minimum}"
        );

    private static double Sum(string metrics, string name) =>
        metrics
            .Split('\n')
            .Select(line => Sample().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (?<value>\S+)")]
    private static partial Regex Sample();
}
