namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// The first argument picks the command (<c>broker</c>; none runs the worker); the rest are
/// configuration in ASP.NET Core's command-line form (<c>--Kafka:BootstrapServers host:9092</c>).
/// </summary>
public static class WorkerCommandLine
{
    public static (WorkerMode Mode, string[] HostArgs) Parse(string[] args)
    {
        args = [.. args.Select(a => a.Equals("--demo-feed", StringComparison.OrdinalIgnoreCase) ? "--DemoFeed:Enabled" : a)];
        if (args.Length > 0 && string.Equals(args[0], "broker", StringComparison.OrdinalIgnoreCase))
        {
            return (WorkerMode.Broker, [.. args[1..], .. DefaultUrls(args, "http://127.0.0.1:8090")]);
        }

        if (args.Length > 0 && string.Equals(args[0], "score", StringComparison.OrdinalIgnoreCase))
        {
            return (WorkerMode.Score, args[1..]);
        }

        if (args.Length > 0 && args[0].ToLowerInvariant() is "replay" or "export")
        {
            return (WorkerMode.Forensics, args);
        }

        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            throw new ArgumentException($"Unknown command '{args[0]}'. Commands: (none) runs the worker, 'broker' runs only the embedded broker and registry, 'score' scores inputs with one model, 'replay' re-runs recorded decisions, 'export' writes forensics to files.");
        }

        return (WorkerMode.Worker, [.. args, .. DefaultUrls(args, "http://127.0.0.1:8000")]);
    }

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
