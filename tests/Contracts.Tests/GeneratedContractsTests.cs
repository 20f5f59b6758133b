using Inference.Streaming.SchemaGen;

namespace Inference.Streaming.Contracts.Tests;

public sealed class GeneratedContractsTests
{
    [Fact]
    public void CommittedTypesMatchWhatTheGeneratorWritesFromTheSchemas()
    {
        var scratch = Directory.CreateTempSubdirectory("contracts-").FullName;
        try
        {
            var generated = ContractGenerator.Generate(RepositoryPaths.Schemas, scratch);
            var committed = ContractGenerator
                .Folders.Where(folder => Directory.Exists(Path.Combine(RepositoryPaths.Contracts, folder)))
                .SelectMany(folder =>
                    Directory
                        .GetFiles(Path.Combine(RepositoryPaths.Contracts, folder), "*.cs")
                        .Select(f => folder + "/" + Path.GetFileName(f))
                )
                .Order(StringComparer.Ordinal)
                .ToArray();

            Assert.Equal(generated, committed);
            foreach (var file in generated)
            {
                var expected = File.ReadAllText(Path.Combine(scratch, file));
                var actual = File.ReadAllText(Path.Combine(RepositoryPaths.Contracts, file))
                    .Replace("\r\n", "\n", StringComparison.Ordinal);
                Assert.True(
                    expected == actual,
                    $"src/Contracts/{file} is stale: run `dotnet run --project src/SchemaGen` and commit the result."
                );
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void EveryRecordSchemaHasAGeneratedType()
    {
        foreach (var file in Directory.GetFiles(RepositoryPaths.Schemas, "*.avsc"))
        {
            var schema = (Avro.RecordSchema)Avro.Schema.Parse(File.ReadAllText(file));
            var type = typeof(Events.MarketTick).Assembly.GetType(schema.Fullname);
            Assert.True(
                type is not null,
                $"{Path.GetFileName(file)} declares {schema.Fullname}, which src/Contracts does not contain."
            );
            var instance = (Avro.Specific.ISpecificRecord)Activator.CreateInstance(type)!;
            Assert.Equal(schema.ToString(), instance.Schema.ToString());
        }
    }

    /// <summary>
    /// The worker's private changelog records are to move from <c>Contracts.Events</c> to
    /// <c>Contracts.State</c>. A worker can read only the names its schema knows, so the move goes in
    /// two releases: this one reads records written under either name (its schema has the future
    /// names as aliases) and still writes the present ones, so a rollback from the next release, which
    /// will write the new names, still finds a reader.
    /// </summary>
    [Fact]
    public void TheChangelogReadsItsRecordsWrittenUnderTheirFutureNamespace()
    {
        var present = Events.SymbolStateSnapshot._SCHEMA;
        var future = Avro.Schema.Parse(
            present
                .ToString()
                .Replace(
                    "\"namespace\":\"Inference.Streaming.Contracts.Events\"",
                    "\"namespace\":\"Inference.Streaming.Contracts.State\"",
                    StringComparison.Ordinal
                )
                .Replace(
                    "\"Inference.Streaming.Contracts.State.",
                    "\"Inference.Streaming.Contracts.Events.",
                    StringComparison.Ordinal
                )
        );
        Assert.Equal("Inference.Streaming.Contracts.State.SymbolStateSnapshot", ((Avro.RecordSchema)future).Fullname);
        var written = new Events.SymbolStateSnapshot
        {
            symbol = "AAPL",
            as_of = new DateTime(2026, 1, 5, 14, 31, 0, DateTimeKind.Utc),
            state_version = 2,
            portfolio = new Events.PortfolioState
            {
                initial_capital = 100_000,
                cash = 90_000,
                shares = 50,
                day = 20_458,
                day_open_value = 100_000,
            },
            pending_regimes =
            [
                new Events.PendingRegime
                {
                    event_time_ms = 5,
                    bull = 0.5,
                    bear = 0.3,
                    sideways = 0.2,
                    entropy = 1,
                },
            ],
        };

        // Names are not in Avro's binary encoding: these bytes are what the next release will write.
        using var stream = new MemoryStream();
        new Avro.Specific.SpecificDatumWriter<Events.SymbolStateSnapshot>(present).Write(
            written,
            new Avro.IO.BinaryEncoder(stream)
        );
        stream.Position = 0;
        var read = new Avro.Specific.SpecificDatumReader<Events.SymbolStateSnapshot>(future, present).Read(
            null!,
            new Avro.IO.BinaryDecoder(stream)
        );

        Assert.True(present.CanRead(future));
        Assert.Equal("AAPL", read.symbol);
        Assert.Equal(50, read.portfolio.shares);
        Assert.Equal(0.3, Assert.Single(read.pending_regimes).bear);
    }

    [Fact]
    public void ForensicsEmbedsTheDecisionSchemaUnchanged()
    {
        var decision = Avro.Schema.Parse(
            File.ReadAllText(Path.Combine(RepositoryPaths.Schemas, "TradingDecision.avsc"))
        );
        var forensics = (Avro.RecordSchema)
            Avro.Schema.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Schemas, "DecisionForensics.avsc")));

        Assert.Equal(decision.ToString(), forensics["decision"].Schema.ToString());
    }
}
