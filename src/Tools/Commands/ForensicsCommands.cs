using System.CommandLine;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>replay</c> (<see cref="ReplayCommand"/>), <c>export</c> (<see cref="ExportCommand"/>) and
/// <c>experiment-report</c>: the forensics team's commands, with what they share here (the source options, the
/// composition root, the exit codes and the guard that turns a source or model problem into exit code 3). They read
/// <c>decision-forensics</c> from a cluster (or, for replay, a file that export wrote). Settings
/// not named as options are configuration in the worker's own form (<c>--Risk:PositionLimit 0.3</c>),
/// layered over the worker's appsettings.json and environment, so a replay sees the configuration
/// the worker had.
/// </summary>
public static class ForensicsCommands
{
    /// <summary>Exit codes: 0 done (faithful and identical, or a what-if), 1 unexpected differences, 2 usage, 3 a
    /// source or model problem.</summary>
    public const int Differences = 1;
    public const int Usage = 2;
    public const int Failed = 3;

    /// <summary>The forensics team's commands, for <see cref="ToolCommands"/>' root.</summary>
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr) =>
        [ReplayCommand.Create(stdout, stderr), ExportCommand.Create(stdout, stderr), ExperimentReport(stdout, stderr)];

    internal sealed class SourceOptions
    {
        public Option<string?> Bootstrap { get; } =
            new("--bootstrap") { Description = "Kafka bootstrap servers (default: Kafka:BootstrapServers)." };

        public Option<string?> Registry { get; } =
            new("--registry") { Description = "Schema Registry URL (default: SchemaRegistry:Url)." };

        public Option<string?> Topic { get; } =
            new("--topic")
            {
                Description = "Forensics topic (default: Kafka:Topics:DecisionForensics:Name, decision-forensics).",
            };

        public Option<DateTimeOffset?> From { get; } =
            new("--from") { Description = "First bar end time to include (ISO-8601)." };

        public Option<DateTimeOffset?> To { get; } =
            new("--to") { Description = "Bar end time to stop before (ISO-8601)." };

        public Option<long?> FromOffset { get; } =
            new("--from-offset") { Description = "First offset to read in every partition." };

        public Option<long?> ToOffset { get; } =
            new("--to-offset")
            {
                Description = "Offset to stop before in every partition (default: the end when reading starts).",
            };

        public Option<string[]> Symbols { get; } =
            new("--symbol")
            {
                Description = "Only these symbols (repeat or comma-separate).",
                AllowMultipleArgumentsPerToken = true,
            };

        public Option<TimeSpan> IdleTimeout { get; } =
            new("--idle-timeout")
            {
                Description = "Give up when the topic yields nothing for this long.",
                DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
            };

        public void AddTo(Command command)
        {
            foreach (
                var option in new Option[]
                {
                    Bootstrap,
                    Registry,
                    Topic,
                    From,
                    To,
                    FromOffset,
                    ToOffset,
                    Symbols,
                    IdleTimeout,
                }
            )
            {
                command.Options.Add(option);
            }
        }

        public ForensicsQuery Query(ParseResult parse) =>
            new()
            {
                From = parse.GetValue(From),
                To = parse.GetValue(To),
                FromOffset = parse.GetValue(FromOffset),
                ToOffset = parse.GetValue(ToOffset),
                Symbols = (parse.GetValue(Symbols) ?? [])
                    .SelectMany(s =>
                        s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    )
                    .Select(s => s.ToUpperInvariant())
                    .ToHashSet(StringComparer.Ordinal),
            };

        /// <summary>The command's composition root: the worker's Kafka settings with this command line's overrides,
        /// validated.</summary>
        public IHost Host(ParseResult parse, Action<IServiceCollection>? register = null) =>
            CommandHost.Build(
                parse.UnmatchedTokens,
                services =>
                {
                    services.AddClusterClients();
                    services.PostConfigure<KafkaOptions>(kafka =>
                    {
                        kafka.BootstrapServers = parse.GetValue(Bootstrap) ?? kafka.BootstrapServers;
                        kafka.Topics.DecisionForensics.Name =
                            parse.GetValue(Topic) ?? kafka.Topics.DecisionForensics.Name;
                    });
                    services.PostConfigure<SchemaRegistryOptions>(registry =>
                        registry.Url = parse.GetValue(Registry) ?? registry.Url
                    );
                    register?.Invoke(services);
                }
            );

        public ForensicsTopicReader Reader(ParseResult parse, IServiceProvider services)
        {
            var kafka = services.GetRequiredService<IOptions<KafkaOptions>>().Value;
            var registry = services.GetRequiredService<IOptions<SchemaRegistryOptions>>().Value;
            if (string.IsNullOrWhiteSpace(kafka.BootstrapServers) || string.IsNullOrWhiteSpace(registry.Url))
            {
                throw new ArgumentException(
                    "reading a topic needs --bootstrap and --registry (or Kafka:BootstrapServers and "
                        + "SchemaRegistry:Url)"
                );
            }

            return new ForensicsTopicReader(
                services.GetRequiredService<IKafkaClientFactory>(),
                services.GetRequiredService<Confluent.SchemaRegistry.ISchemaRegistryClient>(),
                kafka.BootstrapServers,
                kafka.Topics.DecisionForensics.Name,
                parse.GetValue(IdleTimeout)
            );
        }
    }

    private static Command ExperimentReport(TextWriter stdout, TextWriter stderr)
    {
        var source = new SourceOptions();
        var input = new Option<FileInfo?>("--input")
        {
            Description = "Read a file written by export (.jsonl or .avro) instead of a topic.",
        };
        async IAsyncEnumerable<DecisionForensics> Records(
            ParseResult parse,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken
        )
        {
            var query = source.Query(parse);
            if (parse.GetValue(input) is { } file)
            {
                await foreach (
                    var record in ReadProgress.Track(
                        Filter(ForensicsFiles.ReadAsync(file.FullName, cancellationToken), query),
                        "experiment-report",
                        stderr,
                        cancellationToken
                    )
                )
                {
                    yield return record;
                }

                yield break;
            }

            using var host = source.Host(parse);
            var reader = source.Reader(parse, host.Services);
            await foreach (
                var record in ReadProgress.Track(
                    reader.ReadAsync(query, cancellationToken),
                    "experiment-report",
                    stderr,
                    cancellationToken
                )
            )
            {
                yield return record;
            }
        }

        return ExperimentReportCommand.Create(
            stdout,
            Records,
            command =>
            {
                command.Options.Add(input);
                source.AddTo(command);
            },
            run => Guard(stderr, run)
        );
    }

    /// <summary>Runs a command, turning the errors a user can act on into a message and an exit code.</summary>
    internal static async Task<int> Guard(TextWriter stderr, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (ArgumentException ex)
        {
            stderr.WriteLine("error: " + ex.Message);
            return Usage;
        }
        catch (OptionsValidationException ex)
        {
            stderr.WriteLine("error: " + string.Join(" ", ex.Failures));
            return Usage;
        }
        catch (Exception ex)
            when (ex
                    is KafkaException
                        or TimeoutException
                        or IOException
                        or InvalidDataException
                        or UnauthorizedAccessException
                        or Avro.AvroException
                        or HttpRequestException
                        or ContractDecodeException
                        or InvalidOperationException
            )
        {
            stderr.WriteLine("error: " + ex.Message);
            return Failed;
        }
    }

    internal static async IAsyncEnumerable<DecisionForensics> Filter(
        IAsyncEnumerable<DecisionForensics> records,
        ForensicsQuery query
    )
    {
        if (query.FromOffset is not null || query.ToOffset is not null)
        {
            throw new ArgumentException(
                "--from-offset and --to-offset select from a topic; a file is filtered with --from, --to and --symbol"
            );
        }

        await foreach (var record in records)
        {
            if (query.Includes(record))
            {
                yield return record;
            }
        }
    }
}
