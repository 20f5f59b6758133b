using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>tail</c>: prints decoded decisions of <c>trading-decisions</c> (or another topic of
/// <c>TradingDecision</c> records, such as the shadow topic) as they arrive, one line each or one JSON
/// object per line (the Avro field names as keys, as <c>export</c> writes them). It joins no group and
/// commits nothing. Without a configured cluster it asks a running embedded worker where its broker and
/// registry listen (<c>GET /api/v1/embedded</c>).
/// </summary>
public static class TailCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bootstrap = new Option<string?>("--bootstrap")
        {
            Description = "Kafka bootstrap servers (default: Kafka:BootstrapServers, else asked of --api).",
        };
        var registry = new Option<string?>("--registry")
        {
            Description = "Schema Registry URL (default: SchemaRegistry:Url, else asked of --api).",
        };
        // System.CommandLine converts no Uri: the address is read as text and checked here.
        var api = new Option<string>("--api")
        {
            Description = "A running embedded worker to ask for its broker and registry when neither is configured.",
            DefaultValueFactory = _ => "http://127.0.0.1:8000",
        };
        var topic = new Option<string?>("--topic")
        {
            Description = "Topic of TradingDecision records (default: Kafka:Topics:TradingDecisions:Name).",
        };
        var json = new Option<bool>("--json") { Description = "One JSON object per decision (Avro field names)." };
        var fromBeginning = new Option<bool>("--from-beginning")
        {
            Description = "Start at the oldest record each partition keeps instead of its end.",
        };
        var max = new Option<int?>("--max") { Description = "Stop after this many decisions." };
        var idle = new Option<TimeSpan?>("--idle-timeout")
        {
            Description = "Stop when nothing arrives for this long (default: run until Ctrl-C).",
        };
        var symbols = new Option<string[]>("--symbol")
        {
            Description = "Only these symbols (repeat or comma-separate).",
            AllowMultipleArgumentsPerToken = true,
        };

        var command = new Command("tail", "Print decisions as they arrive on trading-decisions.")
        {
            bootstrap,
            registry,
            api,
            topic,
            json,
            fromBeginning,
            max,
            idle,
            symbols,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.Validators.Add(result =>
        {
            if (result.GetValue(max) is <= 0)
            {
                result.AddError("--max must be a positive number");
            }

            if (
                !Uri.TryCreate(result.GetValue(api), UriKind.Absolute, out var url)
                || url.Scheme is not ("http" or "https")
            )
            {
                result.AddError("--api must be an absolute http or https URL");
            }
        });
        command.SetAction(
            (parse, cancellationToken) =>
                ForensicsCommands.Guard(
                    stderr,
                    async () =>
                    {
                        var settings = new TailSettings(
                            parse.GetValue(json),
                            parse.GetValue(fromBeginning),
                            parse.GetValue(max),
                            parse.GetValue(idle),
                            [
                                .. (parse.GetValue(symbols) ?? []).SelectMany(s =>
                                    s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                                        .Select(x => x.ToUpperInvariant())
                                ),
                            ]
                        );
                        var (servers, url) = await EndpointsAsync(
                            parse.GetValue(bootstrap),
                            parse.GetValue(registry),
                            new Uri(parse.GetValue(api)!),
                            parse.UnmatchedTokens,
                            cancellationToken
                        );
                        using var host = CommandHost.Build(
                            parse.UnmatchedTokens,
                            services =>
                            {
                                services.AddClusterClients();
                                services.PostConfigure<KafkaOptions>(kafka => kafka.BootstrapServers = servers);
                                services.PostConfigure<SchemaRegistryOptions>(r => r.Url = url);
                            }
                        );
                        var kafka = host.Services.GetRequiredService<IOptions<KafkaOptions>>().Value;
                        return await RunAsync(
                            host.Services.GetRequiredService<IKafkaClientFactory>(),
                            host.Services.GetRequiredService<ISchemaRegistryClient>(),
                            parse.GetValue(topic) ?? kafka.Topics.TradingDecisions.Name,
                            settings,
                            stdout,
                            stderr,
                            cancellationToken
                        );
                    }
                )
        );
        return command;
    }

    private sealed record TailSettings(
        bool Json,
        bool FromBeginning,
        int? Max,
        TimeSpan? IdleTimeout,
        IReadOnlyCollection<string> Symbols
    );

    private static async Task<(string Bootstrap, string Registry)> EndpointsAsync(
        string? bootstrap,
        string? registry,
        Uri api,
        IReadOnlyList<string> configurationArgs,
        CancellationToken cancellationToken
    )
    {
        // The worker's own configuration first (appsettings.json, the environment, --Kafka:BootstrapServers ...).
        using (
            var configured = CommandHost.Build(
                configurationArgs,
                services =>
                {
                    services.AddKafkaOptions();
                }
            )
        )
        {
            bootstrap ??= NullIfEmpty(
                configured.Services.GetRequiredService<IOptions<KafkaOptions>>().Value.BootstrapServers
            );
            registry ??= NullIfEmpty(
                configured.Services.GetRequiredService<IOptions<SchemaRegistryOptions>>().Value.Url
            );
        }

        if (bootstrap is not null && registry is not null)
        {
            return (bootstrap, registry);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        EmbeddedEnvironment? embedded;
        try
        {
            embedded = await http.GetFromJsonAsync<EmbeddedEnvironment>(
                new Uri(api, "/api/v1/embedded"),
                cancellationToken
            );
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            throw new HttpRequestException(
                $"no cluster is configured (--bootstrap and --registry, or Kafka:BootstrapServers and "
                    + $"SchemaRegistry:Url) and no embedded worker answered at {api}: {ex.Message}",
                ex
            );
        }

        return (
            bootstrap ?? embedded?.BootstrapServers ?? throw new HttpRequestException($"{api} named no broker"),
            registry ?? embedded?.SchemaRegistryUrl ?? throw new HttpRequestException($"{api} named no registry")
        );
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static async Task<int> RunAsync(
        IKafkaClientFactory clients,
        ISchemaRegistryClient registry,
        string topic,
        TailSettings settings,
        TextWriter stdout,
        TextWriter stderr,
        CancellationToken cancellationToken
    )
    {
        var serde = new ContractSerde<TradingDecision>(registry);
        using var consumer = clients.CreateReader("inference-tail");
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.SingleOrDefault();
            if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
            {
                throw new KafkaException(
                    new Error(metadata?.Error.Code ?? ErrorCode.UnknownTopicOrPart, $"Topic '{topic}' does not exist.")
                );
            }

            consumer.Assign(
                metadata.Partitions.Select(p => new TopicPartitionOffset(
                    topic,
                    p.PartitionId,
                    settings.FromBeginning ? Offset.Beginning : Offset.End
                ))
            );
        }

        var printed = 0;
        var lastRecord = DateTime.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                if (settings.IdleTimeout is { } idle && DateTime.UtcNow - lastRecord > idle)
                {
                    break;
                }

                continue;
            }

            lastRecord = DateTime.UtcNow;
            TradingDecision decision;
            try
            {
                decision = await serde.DeserializeAsync(result.Message.Value, topic);
            }
            catch (ContractDecodeException ex) when (ex.Reason != DecodeFailure.RegistryUnavailable)
            {
                await stderr.WriteLineAsync($"tail: skipped {result.TopicPartitionOffset}: {ex.Message}");
                continue;
            }

            if (settings.Symbols.Count > 0 && !settings.Symbols.Contains(decision.symbol))
            {
                continue;
            }

            await stdout.WriteLineAsync(
                settings.Json ? JsonSerializer.Serialize(decision, ForensicsFiles.JsonOptions) : Line(decision)
            );
            await stdout.FlushAsync(cancellationToken);
            if (++printed == settings.Max)
            {
                break;
            }
        }

        return 0;
    }

    /// <summary>One decision as a line: bar end, symbol, action (and what risk turned it from), quantity,
    /// confidence, the dominant regime, the deciding model and the id.</summary>
    public static string Line(TradingDecision d)
    {
        var regime = new[] { ("bull", d.regime.bull), ("bear", d.regime.bear), ("sideways", d.regime.sideways) }.MaxBy(
            r => r.Item2
        );
        var line = new StringBuilder();
        line.Append(
            CultureInfo.InvariantCulture,
            $"{d.bar_end.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}  {d.symbol, -8} {d.action, -4}"
        );
        if (d.action != d.proposed_action)
        {
            line.Append(CultureInfo.InvariantCulture, $" (risk refused {d.proposed_action})");
        }

        line.Append(
            CultureInfo.InvariantCulture,
            $"  qty {d.recommended_quantity, 3}  conf {d.confidence:F3}  {regime.Item1} {regime.Item2:F2}"
                + $"  {d.selected_model}  {d.decision_id}"
        );
        return line.ToString();
    }
}
