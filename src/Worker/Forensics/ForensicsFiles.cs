using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Avro.File;
using Avro.Specific;
using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Worker.Forensics;

/// <summary>
/// Forensics records on disk. JSON Lines: one <see cref="DecisionForensics"/> per line with the
/// schema's field names, enums as names, timestamps as ISO-8601 UTC and numbers in their shortest
/// round-trip form, so <c>pandas.read_json(path, lines=True)</c> reads it and nothing is lost on
/// the way back. Avro: an object container file (deflate) with the writer schema in its header,
/// readable by any Avro library.
/// </summary>
public static class ForensicsFiles
{
    /// <summary>The JSON shape of the generated contract types: their fields, without Avro's own members.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    public static bool IsAvro(string path) => path.EndsWith(".avro", StringComparison.OrdinalIgnoreCase);

    public static string ToJson(DecisionForensics record) => JsonSerializer.Serialize(record, JsonOptions);

    public static DecisionForensics FromJson(string line) =>
        JsonSerializer.Deserialize<DecisionForensics>(line, JsonOptions)
        ?? throw new JsonException("a line holds null instead of a forensics record");

    /// <summary>
    /// Writes <paramref name="records"/> to every file of <paramref name="paths"/> in one pass, each
    /// in the format its extension names (.avro, else JSON Lines): an export of any size streams
    /// through without being held in memory.
    /// </summary>
    /// <returns>The number of records written to each file.</returns>
    public static async Task<long> WriteAsync(
        IReadOnlyList<string> paths,
        IAsyncEnumerable<DecisionForensics> records,
        CancellationToken cancellationToken
    )
    {
        var sinks = new List<IForensicsSink>(paths.Count);
        try
        {
            foreach (var path in paths)
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(path));
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }

                sinks.Add(IsAvro(path) ? new AvroSink(path) : new JsonLinesSink(path));
            }

            long count = 0;
            await foreach (var record in records.WithCancellation(cancellationToken))
            {
                foreach (var sink in sinks)
                {
                    sink.Append(record);
                }

                count++;
            }

            return count;
        }
        finally
        {
            foreach (var sink in sinks)
            {
                sink.Dispose();
            }
        }
    }

    /// <summary>Reads a file written by
    /// <see cref="WriteAsync(IReadOnlyList{string}, IAsyncEnumerable{DecisionForensics}, CancellationToken)"/> (or by
    /// any Avro writer with a compatible schema).</summary>
    public static async IAsyncEnumerable<DecisionForensics> ReadAsync(
        string path,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken
    )
    {
        if (IsAvro(path))
        {
            using var reader = DataFileReader<DecisionForensics>.OpenReader(path, DecisionForensics._SCHEMA);
            foreach (var record in reader.NextEntries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return record;
            }

            yield break;
        }

        using var text = new StreamReader(path);
        var number = 0;
        while (await text.ReadLineAsync(cancellationToken) is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            DecisionForensics record;
            try
            {
                record = FromJson(line);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{number}: not a forensics record: {ex.Message}", ex);
            }

            yield return record;
        }
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            Converters = { new JsonStringEnumConverter() },
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { HideAvroMembers } },
        };
        options.MakeReadOnly();
        return options;
    }

    // The generated classes expose their Avro schema as a property; it is not data.
    private static void HideAvroMembers(JsonTypeInfo type)
    {
        if (!typeof(ISpecificRecord).IsAssignableFrom(type.Type))
        {
            return;
        }

        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            if (type.Properties[i].Name == nameof(ISpecificRecord.Schema))
            {
                type.Properties.RemoveAt(i);
            }
        }
    }

    private interface IForensicsSink : IDisposable
    {
        void Append(DecisionForensics record);
    }

    private sealed class AvroSink : IForensicsSink
    {
        private readonly FileStream _stream;
        private readonly IFileWriter<DecisionForensics> _writer;

        public AvroSink(string path)
        {
            _stream = File.Create(path);
            _writer = DataFileWriter<DecisionForensics>.OpenWriter(
                new SpecificDatumWriter<DecisionForensics>(DecisionForensics._SCHEMA),
                _stream,
                Codec.CreateCodec(Codec.Type.Deflate)
            );
        }

        public void Append(DecisionForensics record) => _writer.Append(record);

        public void Dispose()
        {
            _writer.Dispose();
            _stream.Dispose();
        }
    }

    private sealed class JsonLinesSink(string path) : IForensicsSink
    {
        private readonly StreamWriter _writer = new(
            path,
            append: false,
            new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)
        )
        {
            NewLine = "\n",
        };

        public void Append(DecisionForensics record) => _writer.WriteLine(ToJson(record));

        public void Dispose() => _writer.Dispose();
    }
}
