using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Avro.File;
using Avro.Specific;
using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Tools.Forensics;

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
    /// <remarks>
    /// An Avro file that stops being readable (truncated, a flipped bit that breaks a block or its
    /// sync marker) ends the read at that record: with <paramref name="unreadable"/> the problem is
    /// added to it, naming the record and the byte of its block, and the records before it are
    /// kept; without, it is thrown as <see cref="InvalidDataException"/> with the same words.
    /// </remarks>
    public static async IAsyncEnumerable<DecisionForensics> ReadAsync(
        string path,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken,
        List<string>? unreadable = null
    )
    {
        if (IsAvro(path))
        {
            IFileReader<DecisionForensics> reader;
            try
            {
                reader = DataFileReader<DecisionForensics>.OpenReader(path, DecisionForensics._SCHEMA);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not FileNotFoundException)
            {
                throw new InvalidDataException(
                    $"{path}: not a readable Avro container file (its header): {ex.GetType().Name}: "
                        + FirstLine(ex.Message),
                    ex
                );
            }

            using (reader)
            {
                for (var ordinal = 1L; ; ordinal++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    DecisionForensics record;
                    try
                    {
                        if (!reader.HasNext())
                        {
                            yield break;
                        }

                        record = reader.Next();
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
                    {
                        var problem =
                            $"{path}: record {ordinal} (in the block at byte {reader.PreviousSync()}) is not readable, "
                            + $"the file ends there for this read ({ordinal - 1} records before it were read): "
                            + $"{ex.GetType().Name}: {FirstLine(ex.Message)}";
                        if (unreadable is null)
                        {
                            throw new InvalidDataException(problem, ex);
                        }

                        unreadable.Add(problem);
                        yield break;
                    }

                    yield return record;
                }
            }
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

    // Apache Avro puts the inner exception's stack trace into some messages.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd();

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
