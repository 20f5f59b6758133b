using System.Globalization;

namespace Inference.Streaming.LoadGenerator;

/// <summary>Command-line options, in the seed's load_test.py spelling.</summary>
internal sealed record LoadOptions(Uri Url, int Requests, int Concurrent, string? Output, string[] Symbols, string? ApiKey, bool Explain, bool Floor)
{
    public static LoadOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var known = new[] { "--url", "--requests", "--concurrent", "--output", "--symbols", "--api-key", "--explain", "--floor" };
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!known.Contains(args[i]))
            {
                throw new ArgumentException($"unknown option '{args[i]}'. Options: {string.Join(' ', known)}");
            }
        }

        return new LoadOptions(
            new Uri(Value("--url", "http://127.0.0.1:8000")),
            int.Parse(Value("--requests", "10000"), CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrent", "32"), CultureInfo.InvariantCulture),
            args.Contains("--output") ? Value("--output", "results.json") : null,
            Value("--symbols", "AAPL,MSFT,NVDA,AMZN,TSLA,SPY").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            args.Contains("--api-key") ? Value("--api-key", string.Empty) : null,
            bool.Parse(Value("--explain", "false")),
            bool.Parse(Value("--floor", "true")));
    }
}
