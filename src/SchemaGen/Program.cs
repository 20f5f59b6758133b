using Inference.Streaming.SchemaGen;

// Usage: dotnet run --project src/SchemaGen -- [schemas-dir] [output-dir, default src/Contracts]
var schemaDirectory = args.Length > 0 ? args[0] : "schemas";
var outputDirectory = args.Length > 1 ? args[1] : Path.Combine("src", "Contracts");

// Only the generated folders are cleared: Rest/ and Validation/ are written by hand.
foreach (var folder in ContractGenerator.Folders.Select(f => Path.Combine(outputDirectory, f)).Where(Directory.Exists))
{
    foreach (var stale in Directory.GetFiles(folder, "*.cs"))
    {
        File.Delete(stale);
    }
}

foreach (var file in ContractGenerator.Generate(schemaDirectory, outputDirectory))
{
    Console.WriteLine(Path.Combine(outputDirectory, file));
}
