using System.Diagnostics;
using Avro;

namespace Inference.Streaming.Contracts.Tests;

/// <summary>
/// Schema Registry BACKWARD compatibility across the repository's history: each schema (the
/// working copy included) must read data written with every earlier committed version of it.
/// </summary>
public sealed class SchemaEvolutionTests
{
    public static TheoryData<string> SchemaFiles() =>
        [
            .. Directory
                .GetFiles(RepositoryPaths.Schemas, "*.avsc")
                .Select(f => Path.GetFileName(f))
                .Order(StringComparer.Ordinal),
        ];

    [SkippableTheory]
    [MemberData(nameof(SchemaFiles))]
    public void EachSchemaReadsDataWrittenWithItsPreviousCommittedVersions(string file)
    {
        Skip.IfNot(GitAvailable(), "git or the repository history is not available");
        var current = File.ReadAllText(Path.Combine(RepositoryPaths.Schemas, file));
        var history = CommittedVersions("schemas/" + file);

        foreach (var (commit, text) in history)
        {
            var problem = BackwardProblem(Schema.Parse(current), Schema.Parse(text));
            Assert.True(
                problem is null,
                $"schemas/{file} cannot read data written with its version in {commit[..8]}: {problem}. New fields "
                    + "need defaults; removed fields must have had defaults."
            );
        }
    }

    [Fact]
    public void AFieldAddedWithoutADefaultIsCaught()
    {
        var old = Schema.Parse("""{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}""");
        var withDefault = Schema.Parse(
            """
            {"type":"record","name":"R","fields":[{"name":"a","type":"int"},
            {"name":"b","type":["null","string"],"default":null}]}
            """
        );
        var withoutDefault = Schema.Parse(
            """{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"""
        );

        Assert.Null(BackwardProblem(withDefault, old));
        Assert.NotNull(BackwardProblem(withoutDefault, old));
    }

    private static string? BackwardProblem(Schema reader, Schema writer) =>
        reader.CanRead(writer) ? null : "a reader on the new schema cannot resolve the old writer schema";

    private static bool GitAvailable()
    {
        try
        {
            return Git("rev-parse", "--is-inside-work-tree").Trim() == "true";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }

    private static List<(string Commit, string Text)> CommittedVersions(string path)
    {
        var versions = new List<(string, string)>();
        foreach (var commit in Git("log", "--format=%H", "--", path).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            versions.Add((commit, Git("show", $"{commit}:{path}")));
        }

        return versions;
    }

    private static string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException(
                $"git {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}"
            );
    }
}
