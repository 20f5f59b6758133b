namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// The first argument picks the command (<c>broker</c>; none runs the worker); the rest are
/// configuration in ASP.NET Core's command-line form (<c>--Kafka:BootstrapServers host:9092</c>).
/// </summary>
public static class WorkerCommandLine
{
    public static (WorkerMode Mode, string[] HostArgs) Parse(string[] args)
    {
        args =
        [
            .. args.Select(a => a.Equals("--demo-feed", StringComparison.OrdinalIgnoreCase) ? "--DemoFeed:Enabled" : a),
        ];
        // --help asks for the usage wherever it stands (after broker or regimes too), as in the tools' command tree:
        // it is never configuration.
        if (args.Any(a => a.ToLowerInvariant() is "--help" or "-h" or "-?") || args is ["help", ..])
        {
            return (WorkerMode.Help, []);
        }

        if (args.Length > 0 && string.Equals(args[0], "broker", StringComparison.OrdinalIgnoreCase))
        {
            return (WorkerMode.Broker, [.. args[1..], .. DefaultUrls(args, "http://127.0.0.1:8090")]);
        }

        if (args.Length > 0 && string.Equals(args[0], "regimes", StringComparison.OrdinalIgnoreCase))
        {
            return (WorkerMode.Regimes, [.. args[1..], .. DefaultUrls(args, "http://127.0.0.1:8010")]);
        }

        if (args.Length > 0 && ToolCommands.Contains(args[0].ToLowerInvariant()))
        {
            // The tools are a program of their own: say where, rather than "unknown command".
            throw new UsageException(
                $"'{args[0]}' is one of the tools: dotnet run --project src/Tools -- {args[0]} --help "
                    + $"(in the image: dotnet Inference.Streaming.Tools.dll {args[0]} --help)."
            );
        }

        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            throw new UsageException($"Unknown command '{args[0]}'.");
        }

        // Configuration comes as "--Key value" pairs: a lone "-x" is neither a command nor a key.
        if (args.FirstOrDefault(a => a.Length > 1 && a[0] == '-' && char.IsLetter(a[1])) is { } flag)
        {
            throw new UsageException($"Unknown option '{flag}'.");
        }

        // ASP.NET Core's command-line configuration drops a trailing key without a value silently.
        if (
            args.Length > 0
            && args[^1].StartsWith("--", StringComparison.Ordinal)
            && !args[^1].Contains('=', StringComparison.Ordinal)
        )
        {
            throw new UsageException($"Option '{args[^1]}' has no value.");
        }

        return (WorkerMode.Worker, [.. args, .. DefaultUrls(args, "http://127.0.0.1:8000")]);
    }

    /// <summary>What <c>--help</c> prints, and what a wrong command line is answered with (exit code 2).</summary>
    public const string Usage = """
        Usage: dotnet run --project src/Worker -- [command] [--Key value ...]

        Commands:
          (none)    the worker and its HTTP API (embedded Kafka, registry and demo feed
                    unless Kafka:BootstrapServers is set)
          broker    only the embedded broker and registry (--demo-feed true adds the demo market)
          regimes   the regime detector service: market-ticks in, regime-updates out (Regimes:*)
          help      this text

        The tools (score, detect, backtest, replay, export, experiment-report, tail) are a program of their own:
        dotnet run --project src/Tools -- --help

        Configuration: any key of docs/operations/configuration.md as --Section:Key value
        (e.g. --Kafka:BootstrapServers host:9092 --Inference:Selection Mixture), or as an environment variable.
        """;

    private static readonly HashSet<string> ToolCommands =
    [
        "score",
        "detect",
        "backtest",
        "replay",
        "export",
        "experiment-report",
        "tail",
    ];

    /// <summary>A command line that names no known command or uses an option that is not configuration.</summary>
    public sealed class UsageException(string message) : ArgumentException(message);

    // The default listen address applies only when none is given: on the command line, in
    // ASPNETCORE_URLS (containers set it) or in URLS. (A default in appsettings.json would
    // override ASPNETCORE_URLS, which the host reads first.) The broker gets its own default port
    // so it can run beside a worker on one machine.
    private static string[] DefaultUrls(string[] args, string url) =>
        args.Any(a => a.StartsWith("--urls", StringComparison.OrdinalIgnoreCase))
        || Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is not null
        || Environment.GetEnvironmentVariable("URLS") is not null
        || Environment.GetEnvironmentVariable("Urls") is not null
            ? []
            : ["--urls", url];
}
