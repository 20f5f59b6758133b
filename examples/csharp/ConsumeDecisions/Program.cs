// An order router's consumer of trading-decisions (docs/consumers/trading-decisions.md): read_committed, offsets
// committed only after a decision is handled, duplicates dropped by decision_id, each record decoded with the
// writer schema the registry holds for its id.
//
//   dotnet run --project examples/csharp/ConsumeDecisions -- --bootstrap HOST:9092 --registry http://HOST:8081
//       [--topic trading-decisions] [--group order-router] [--from-beginning] [--max N] [--timeout SECONDS] [--json]
//       [--config librdkafka.key=value ...]  (e.g. --config security.protocol=SASL_SSL)
using System.Globalization;
using System.Text.Json.Nodes;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.Kafka.SyncOverAsync;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;

var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = options.Registry });
var config = new ConsumerConfig
{
    BootstrapServers = options.Bootstrap,
    GroupId = options.Group,
    IsolationLevel = IsolationLevel.ReadCommitted, // under exactly-once, only committed decisions
    EnableAutoCommit = false, // an offset moves only after its decision is handled
    AutoOffsetReset = options.FromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
    PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
};
foreach (var (key, value) in options.Config)
{
    config.Set(key, value);
}

using var consumer = new ConsumerBuilder<string, GenericRecord>(config)
    .SetValueDeserializer(new AvroDeserializer<GenericRecord>(registry).AsSyncOverAsync())
    .Build();
consumer.Subscribe(options.Topic);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => (e.Cancel, _) = (true, stop.CancelAsync());

// The last decision ids seen per symbol: a redelivered decision (the worker republishes the bars after its last
// checkpoint when it restarts) has the id it had the first time.
var seen = new Dictionary<string, Queue<string>>(StringComparer.Ordinal);
var handled = 0;
var lastRecord = DateTime.UtcNow;
try
{
    while (!stop.IsCancellationRequested && handled < options.Max)
    {
        var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
        if (result is null)
        {
            if (DateTime.UtcNow - lastRecord > options.Timeout)
            {
                break;
            }

            continue;
        }

        lastRecord = DateTime.UtcNow;
        var decision = result.Message.Value;
        var symbol = (string)decision["symbol"];
        var id = (string)decision["decision_id"];
        var ids = seen.TryGetValue(symbol, out var known) ? known : seen[symbol] = new Queue<string>();
        if (!ids.Contains(id))
        {
            Handle(decision, options.Json);
            handled++;
            ids.Enqueue(id);
            if (ids.Count > 64)
            {
                ids.Dequeue();
            }
        }

        consumer.Commit(result);
    }
}
catch (ConsumeException ex)
{
    Console.Error.WriteLine($"consume-decisions: {ex.Error.Reason} at {ex.ConsumerRecord?.TopicPartitionOffset}");
    return 3;
}
finally
{
    consumer.Close();
}

return 0;

// Where an order router would act; here, a line per decision (or the record as JSON).
static void Handle(GenericRecord decision, bool json)
{
    if (json)
    {
        Console.WriteLine(Json.Of(decision)!.ToJsonString());
        return;
    }

    var barEnd = decision["bar_end"] is DateTime end
        ? end
        : DateTime.UnixEpoch.AddMilliseconds(Convert.ToInt64(decision["bar_end"], CultureInfo.InvariantCulture));
    var action = ((GenericEnum)decision["action"]).Value;
    var proposed = ((GenericEnum)decision["proposed_action"]).Value;
    var refused = action == proposed ? "" : $" (risk refused {proposed})";
    var symbol = decision["symbol"];
    var quantity = decision["recommended_quantity"];
    var id = decision["decision_id"];
    Console.WriteLine(
        string.Create(
            CultureInfo.InvariantCulture,
            $"{barEnd:yyyy-MM-ddTHH:mm:ssZ}  {symbol, -8} {action, -4}{refused}  qty {quantity, 3}  {id}"
        )
    );
}

internal sealed record Options(
    string Bootstrap,
    string Registry,
    string Topic,
    string Group,
    bool FromBeginning,
    int Max,
    TimeSpan Timeout,
    bool Json,
    IReadOnlyList<(string Key, string Value)> Config
)
{
    public const string Usage =
        "usage: ConsumeDecisions --bootstrap HOST:9092 --registry http://HOST:8081 [--topic trading-decisions] "
        + "[--group order-router] [--from-beginning] [--max N] [--timeout SECONDS] [--json] [--config key=value ...]";

    public static Options? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var config = new List<(string, string)>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length && args[i + 1].Split('=', 2) is [var key, var value])
            {
                config.Add((key, value));
                i++;
            }
            else if (args[i] is "--from-beginning" or "--json")
            {
                flags.Add(args[i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                return null;
            }
        }

        if (!values.TryGetValue("--bootstrap", out var bootstrap) || !values.TryGetValue("--registry", out var url))
        {
            return null;
        }

        return new Options(
            bootstrap,
            url,
            values.GetValueOrDefault("--topic", "trading-decisions"),
            values.GetValueOrDefault("--group", "order-router-example"),
            flags.Contains("--from-beginning"),
            values.TryGetValue("--max", out var max) ? int.Parse(max, CultureInfo.InvariantCulture) : int.MaxValue,
            values.TryGetValue("--timeout", out var timeout)
                ? TimeSpan.FromSeconds(double.Parse(timeout, CultureInfo.InvariantCulture))
                : System.Threading.Timeout.InfiniteTimeSpan,
            flags.Contains("--json"),
            config
        );
    }
}

/// <summary>An Avro record as JSON with its field names as keys: enums by name, timestamps as ISO-8601 UTC.</summary>
internal static class Json
{
    public static JsonNode? Of(object? value) =>
        value switch
        {
            null => null,
            GenericRecord record => new JsonObject(
                record.Schema.Fields.Select(f => KeyValuePair.Create(f.Name, Of(record[f.Name])))
            ),
            GenericEnum symbol => JsonValue.Create(symbol.Value),
            DateTime time => JsonValue.Create(time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)),
            string text => JsonValue.Create(text),
            bool flag => JsonValue.Create(flag),
            int number => JsonValue.Create(number),
            long number => JsonValue.Create(number),
            double number => JsonValue.Create(number),
            object[] items => new JsonArray([.. items.Select(Of)]),
            _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
        };
}
