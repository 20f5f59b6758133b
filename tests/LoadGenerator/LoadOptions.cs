using System.CommandLine;

namespace Inference.Streaming.LoadGenerator;

/// <summary>Command-line options, in the seed's load_test.py spelling, parsed by System.CommandLine like the worker's
/// commands.</summary>
internal sealed record LoadOptions(
    Uri Url,
    int Requests,
    int Concurrent,
    string? Output,
    string[] Symbols,
    string? ApiKey,
    bool Explain,
    bool Floor
)
{
    /// <summary>The options, or null after printing help (exit 0) or the errors and usage (exit 2).</summary>
    public static LoadOptions? Parse(string[] args, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        var url = new Option<Uri>("--url")
        {
            Description = "Worker API base address.",
            DefaultValueFactory = _ => new Uri("http://127.0.0.1:8000"),
        };
        var requests = new Option<int>("--requests")
        {
            Description = "Predict requests to send (and as many to /health/live for the floor).",
            DefaultValueFactory = _ => 10_000,
        };
        var concurrent = new Option<int>("--concurrent")
        {
            Description = "Requests in flight at once.",
            DefaultValueFactory = _ => 32,
        };
        var output = new Option<string?>("--output") { Description = "Write the results as JSON to this file." };
        var symbols = new Option<string>("--symbols")
        {
            Description = "Comma-separated symbols to cycle through.",
            DefaultValueFactory = _ => "AAPL,MSFT,GOOGL,AMZN,TSLA,NVDA,SPY",
        };
        var apiKey = new Option<string?>("--api-key") { Description = "X-API-Key to send." };
        var explain = new Option<bool>("--explain") { Description = "Ask for explanations (integrated gradients)." };
        var floor = new Option<bool>("--floor")
        {
            Description = "Also measure GET /health/live as the floor.",
            DefaultValueFactory = _ => true,
        };
        requests.Validators.Add(r =>
        {
            if (r.GetValue(requests) < 1)
            {
                r.AddError("--requests must be at least 1.");
            }
        });
        concurrent.Validators.Add(r =>
        {
            if (r.GetValue(concurrent) is < 1 or > 4096)
            {
                r.AddError("--concurrent must be between 1 and 4096.");
            }
        });
        url.Validators.Add(r =>
        {
            if (r.GetValue(url) is { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") })
            {
                r.AddError("--url must be an absolute http(s) address.");
            }
        });
        var command = new RootCommand(
            "Predict under load at a fixed concurrency, then GET /health/live on the same server as the floor."
        )
        {
            url,
            requests,
            concurrent,
            output,
            symbols,
            apiKey,
            explain,
            floor,
        };

        var parse = command.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine("load: " + error.Message);
            }

            stderr.WriteLine(
                "usage: LoadGenerator [--url URL] [--requests N] [--concurrent N] [--output FILE] [--symbols A,B] "
                    + "[--api-key KEY] [--explain] [--floor true|false] (--help for more)"
            );
            exitCode = 2;
            return null;
        }

        if (parse.Action is not null && args.Any(a => a is "--help" or "-h" or "-?"))
        {
            exitCode = parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
            return null;
        }

        exitCode = 0;
        var list = parse
            .GetValue(symbols)!
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new LoadOptions(
            parse.GetValue(url)!,
            parse.GetValue(requests),
            parse.GetValue(concurrent),
            parse.GetValue(output),
            list,
            parse.GetValue(apiKey),
            parse.GetValue(explain),
            parse.GetValue(floor)
        );
    }
}
