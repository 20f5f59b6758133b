using Inference.Streaming.SchemaGen;

// Usage: dotnet run --project src/SchemaGen -- [schemas-dir] [output-dir]
var schemaDirectory = args.Length > 0 ? args[0] : "schemas";
var outputDirectory = args.Length > 1 ? args[1] : Path.Combine("src", "Contracts", "Events");

if (Directory.Exists(outputDirectory))
{
    foreach (var stale in Directory.GetFiles(outputDirectory, "*.cs"))
    {
        File.Delete(stale);
    }
}

foreach (var file in ContractGenerator.Generate(schemaDirectory, outputDirectory))
{
    Console.WriteLine(Path.Combine(outputDirectory, file));
}
