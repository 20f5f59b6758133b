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
    bool Floor,
    int WarmUp,
    int Rounds
)
{
    /// <summary>The options, or null after printing help (exit 0) or the errors and usage (exit 2).</summary>
    public static LoadOptions? Parse(string[] args, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        var url = new Option<Uri>("--url")
        {
            Description = "Worker API base address.",
            DefaultValueFactory = _ => new Uri("http://127.0.0.1:8000"),
            // System.CommandLine has no built-in conversion to Uri.
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var address) && address.Scheme is "http" or "https")
                {
                    return address;
                }

                r.AddError($"--url must be an absolute http(s) address, not '{text}'.");
                return null;
            },
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
        var warmUp = new Option<int>("--warmup")
        {
            Description =
                "Unmeasured requests to each endpoint first, so the server's tiered JIT has reached its steady "
                + "state for both (a few thousand is not enough).",
            DefaultValueFactory = _ => 20_000,
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Measured rounds, each predict then the floor; the summary gives the median round.",
            DefaultValueFactory = _ => 1,
        };
        warmUp.Validators.Add(r =>
        {
            if (r.GetValue(warmUp) < 0)
            {
                r.AddError("--warmup must not be negative.");
            }
        });
        rounds.Validators.Add(r =>
        {
            if (r.GetValue(rounds) is < 1 or > 100)
            {
                r.AddError("--rounds must be between 1 and 100.");
            }
        });
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
            warmUp,
            rounds,
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
                    + "[--api-key KEY] [--explain] [--floor true|false] [--warmup N] [--rounds N] "
                    + "(--help for more)"
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
            parse.GetValue(floor),
            parse.GetValue(warmUp),
            parse.GetValue(rounds)
        );
    }
}
