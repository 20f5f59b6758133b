using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Regimes;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>replay</c>, <c>export</c> and <c>experiment-report</c>: the forensics team's commands. Both read
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

    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = false };

    /// <summary>The forensics team's commands, for <see cref="ToolCommands"/>' root.</summary>
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr) =>
        [Replay(stdout, stderr), Export(stdout, stderr), ExperimentReport(stdout, stderr)];

    private sealed class SourceOptions
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

    private static Command Replay(TextWriter stdout, TextWriter stderr)
    {
        var source = new SourceOptions();
        var input = new Option<FileInfo?>("--input")
        {
            Description = "Replay a file written by export (.jsonl or .avro) instead of a topic.",
        };
        var modelDir = new Option<string?>("--model-dir")
        {
            Description = "Models to replay with, in the seed layout (default: Models:Directory).",
        };
        var output = new Option<FileInfo?>("--output")
        {
            Description = "Write the report as JSON Lines: one line per difference, then the summary.",
        };
        var show = new Option<int>("--show") { Description = "Differences to print.", DefaultValueFactory = _ => 10 };
        var device = new Option<string?>("--device") { Description = "auto, cpu or cuda (default: Inference:Device)." };
        var command = new Command(
            "replay",
            "Re-run recorded decisions with the models of --model-dir and report every difference."
        )
        {
            input,
            modelDir,
            output,
            show,
            device,
        };
        source.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(
            (parse, cancellationToken) =>
                Guard(
                    stderr,
                    async () =>
                    {
                        using var host = source.Host(
                            parse,
                            services =>
                            {
                                services.AddDecisionEngine();
                                services.AddModelLoading();
                                services.AddRegimes();
                                services.AddSingleton<DecisionAssembler>();
                                services.PostConfigure<InferenceOptions>(inference =>
                                    inference.Device = parse.GetValue(device) ?? inference.Device
                                );
                                services.PostConfigure<ModelOptions>(models =>
                                    models.Directory = parse.GetValue(modelDir) ?? models.Directory
                                );
                            }
                        );
                        var provider = host.Services;
                        var directory = provider.GetRequiredService<IOptions<ModelOptions>>().Value.Directory;
                        var query = source.Query(parse);
                        var file = parse.GetValue(input);
                        ForensicsTopicReader? reader = file is null ? source.Reader(parse, provider) : null;
                        var unreadable = new List<string>();
                        var records = ReadProgress.Track(
                            file is not null
                                ? Filter(ForensicsFiles.ReadAsync(file.FullName, cancellationToken, unreadable), query)
                                : reader!.ReadAsync(query, cancellationToken),
                            "replay",
                            stderr,
                            cancellationToken
                        );

                        using var models = provider
                            .GetRequiredService<ModelDirectoryLoader>()
                            .Load(directory, generation: 1, Observation.Width);
                        foreach (var error in models.Errors)
                        {
                            stderr.WriteLine(
                                $"replay: model {error.Name} not loaded from {error.Path}: {error.Reason}"
                            );
                        }

                        // An experiment's challenger (Models:Challenger:Directory): its decisions replay on its set.
                        using var challenger = provider
                            .GetRequiredService<IOptions<ModelOptions>>()
                            .Value.Challenger.Directory
                            is { Length: > 0 } challengerDirectory
                            ? provider
                                .GetRequiredService<ModelDirectoryLoader>()
                                .Load(challengerDirectory, generation: 2, Observation.Width)
                            : null;
                        var report = await new Replayer(
                            models,
                            provider.GetRequiredService<DecisionAssembler>(),
                            provider.GetRequiredService<DecisionFunction>(),
                            challenger: challenger
                        ).RunAsync(records, cancellationToken);
                        unreadable.AddRange(reader?.Unreadable ?? []);
                        report.Problems.AddRange(unreadable);
                        report.Unreadable = unreadable.Count;
                        foreach (var problem in unreadable)
                        {
                            stderr.WriteLine("replay: unreadable " + problem);
                        }

                        Print(stdout, report, file?.FullName ?? "topic", directory, parse.GetValue(show));
                        if (parse.GetValue(output) is { } path)
                        {
                            await WriteReportAsync(path.FullName, report, cancellationToken);
                        }

                        if (report.Read == 0)
                        {
                            stderr.WriteLine("replay: no decision in the requested range");
                            return Failed;
                        }

                        return report.Unreadable > 0 ? Failed
                            : report.Passed ? 0
                            : Differences;
                    }
                )
        );
        return command;
    }

    private static Command Export(TextWriter stdout, TextWriter stderr)
    {
        var source = new SourceOptions();
        var jsonl = new Option<FileInfo?>("--jsonl") { Description = "Write JSON Lines (one decision per line)." };
        var avro = new Option<FileInfo?>("--avro") { Description = "Write an Avro object container file." };
        var command = new Command(
            "export",
            "Write decision-forensics records to JSON Lines and/or an Avro container file."
        )
        {
            jsonl,
            avro,
        };
        source.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.Validators.Add(result =>
        {
            if (result.GetValue(jsonl) is null && result.GetValue(avro) is null)
            {
                result.AddError("export needs --jsonl FILE, --avro FILE or both");
            }
        });
        command.SetAction(
            (parse, cancellationToken) =>
                Guard(
                    stderr,
                    async () =>
                    {
                        using var host = source.Host(parse);
                        var reader = source.Reader(parse, host.Services);
                        var targets = new List<string>();
                        if (parse.GetValue(jsonl) is { } jsonlFile)
                        {
                            targets.Add(
                                !ForensicsFiles.IsAvro(jsonlFile.FullName)
                                    ? jsonlFile.FullName
                                    : throw new ArgumentException(
                                        $"{jsonlFile.Name}: --jsonl takes a JSON Lines file, not .avro"
                                    )
                            );
                        }

                        if (parse.GetValue(avro) is { } avroFile)
                        {
                            targets.Add(
                                ForensicsFiles.IsAvro(avroFile.FullName)
                                    ? avroFile.FullName
                                    : throw new ArgumentException($"{avroFile.Name}: --avro takes an .avro file")
                            );
                        }

                        var written = await ForensicsFiles.WriteAsync(
                            targets,
                            ReadProgress.Track(
                                reader.ReadAsync(source.Query(parse), cancellationToken),
                                "export",
                                stderr,
                                cancellationToken
                            ),
                            cancellationToken
                        );
                        foreach (var target in targets)
                        {
                            stdout.WriteLine(
                                string.Create(CultureInfo.InvariantCulture, $"export: {written} decisions to {target}")
                            );
                        }

                        foreach (var problem in reader.Unreadable)
                        {
                            stderr.WriteLine("export: skipped " + problem);
                        }

                        return 0;
                    }
                )
        );
        return command;
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

    private static async IAsyncEnumerable<DecisionForensics> Filter(
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

    private static void Print(TextWriter stdout, ReplayReport report, string source, string modelDirectory, int show)
    {
        stdout.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"replay of {source} with models from {modelDirectory}: {report.Mode}"
            )
        );
        stdout.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"  decisions read {report.Read}, identical {report.Identical}, different {report.Different} "
                    + $"(unexpected {report.UnexpectedDifferences}), not replayable {report.NotReplayable}, "
                    + $"unreadable {report.Unreadable}"
            )
        );
        foreach (var model in report.Models)
        {
            stdout.WriteLine(
                $"  model {model.Model}: {model.Status} (recorded "
                    + $"{string.Join(", ", model.RecordedSha256.Select(Short))}; replay {Short(model.ReplaySha256)})"
            );
        }

        stdout.WriteLine(
            report.Configuration.Same
                ? "  configuration: same as recorded"
                : $"  configuration: differs from recorded "
                    + $"({string.Join(", ", report.Configuration.Recorded.Select(Short))} vs "
                    + $"{Short(report.Configuration.Replay)})"
        );
        if (report.WhatIf > 0)
        {
            stdout.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"  what-if: {report.WhatIf} decisions re-run with other models or configuration than recorded; "
                        + $"their differences are expected, and their ids are those of the new model set"
                )
            );
        }

        foreach (var difference in report.Differences.Take(show))
        {
            stdout.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {(difference.Expected ? "changed" : "DIFFERS")} {difference.DecisionId} {difference.Symbol} "
                        + $"{difference.BarEnd:O}"
                )
            );
            foreach (var field in difference.Fields)
            {
                stdout.WriteLine($"      {field.Field}: {field.Recorded} -> {field.Replayed}");
            }
        }

        foreach (var problem in report.Problems.Take(show))
        {
            stdout.WriteLine("  problem: " + problem);
        }
    }

    private static string Short(string? sha) =>
        sha is null ? "none"
        : sha.Length > 12 ? sha[..12]
        : sha;

    private static async Task WriteReportAsync(string path, ReplayReport report, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false))
        {
            NewLine = "\n",
        };
        foreach (var difference in report.Differences)
        {
            await writer.WriteLineAsync(
                JsonSerializer.Serialize(new { type = "difference", difference }, ReportJson).AsMemory(),
                cancellationToken
            );
        }

        await writer.WriteLineAsync(
            JsonSerializer.Serialize(new { type = "summary", summary = report }, ReportJson).AsMemory(),
            cancellationToken
        );
    }
}
