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
            var committed = Directory.GetFiles(RepositoryPaths.GeneratedEvents, "*.cs").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();

            Assert.Equal(generated, committed);
            foreach (var file in generated)
            {
                var expected = File.ReadAllText(Path.Combine(scratch, file));
                var actual = File.ReadAllText(Path.Combine(RepositoryPaths.GeneratedEvents, file)).Replace("\r\n", "\n", StringComparison.Ordinal);
                Assert.True(expected == actual, $"src/Contracts/Events/{file} is stale: run `dotnet run --project src/SchemaGen` and commit the result.");
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
            Assert.True(type is not null, $"{Path.GetFileName(file)} declares {schema.Fullname}, which src/Contracts does not contain.");
            var instance = (Avro.Specific.ISpecificRecord)Activator.CreateInstance(type)!;
            Assert.Equal(schema.ToString(), instance.Schema.ToString());
        }
    }

    [Fact]
    public void ForensicsEmbedsTheDecisionSchemaUnchanged()
    {
        var decision = Avro.Schema.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Schemas, "TradingDecision.avsc")));
        var forensics = (Avro.RecordSchema)Avro.Schema.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Schemas, "DecisionForensics.avsc")));

        Assert.Equal(decision.ToString(), forensics["decision"].Schema.ToString());
    }
}
