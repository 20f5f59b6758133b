using System.Text.RegularExpressions;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Tests;

namespace Inference.Streaming.Worker.UnitTests;

/// <summary>
/// The boundaries docs/concepts/pipeline.md describes, checked against the source: folders
/// depend on each other without cycles (read from the <c>using</c> directives), and the engine is
/// host-free.
/// </summary>
public sealed partial class ArchitectureTests
{
    [Fact]
    public void NoFolderOfTheWorkerOrTheEngineDependsOnItselfThroughAnother()
    {
        var graph = FolderGraph();
        Assert.Contains("Worker/Ingest", graph.Keys);
        Assert.Contains("Worker/Decisions", graph["Worker/Ingest"]);

        var cycles = Cycles(graph);

        Assert.True(
            cycles.Count == 0,
            "folder cycles: " + string.Join("; ", cycles.Select(c => string.Join(" -> ", c)))
        );
    }

    [Fact]
    public void TheFlowRunsFromIngestThroughDecisionsToPublishingAndNeverBack()
    {
        var graph = FolderGraph();

        Assert.DoesNotContain("Worker/Ingest", graph.GetValueOrDefault("Worker/Decisions", []));
        Assert.DoesNotContain("Worker/Ingest", graph.GetValueOrDefault("Worker/Publishing", []));
        Assert.DoesNotContain("Worker/Decisions", graph.GetValueOrDefault("Worker/Publishing", []));
        Assert.DoesNotContain("Worker/Ingest", graph.GetValueOrDefault("Worker/State", []));
        Assert.DoesNotContain("Worker/Serving", graph.GetValueOrDefault("Worker/State", []));
    }

    [Fact]
    public void TheEngineReferencesNoHostKafkaOrTelemetryAndTheTrainerNotTheWorker()
    {
        var engine = typeof(DecisionFunction).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(
            engine,
            a =>
                a.StartsWith("Confluent", StringComparison.Ordinal)
                || a.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                || a.StartsWith("OpenTelemetry", StringComparison.Ordinal)
                || a == "Inference.Streaming.Worker"
                || a == "Inference.Streaming.PredictApi"
        );

        var trainer = File.ReadAllText(
            Path.Combine(RepositoryRoot.Path, "src", "Trainer", "Inference.Streaming.Trainer.csproj")
        );
        Assert.DoesNotContain("Worker", trainer, StringComparison.Ordinal);
        Assert.DoesNotContain("InternalsVisibleTo", trainer, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryHandWrittenSourceLineFitsTheEditorConfigsMaxLineLength()
    {
        var editorConfig = File.ReadAllText(Path.Combine(RepositoryRoot.Path, ".editorconfig"));
        var limit = int.Parse(
            MaxLineLength().Match(editorConfig).Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture
        );
        var generated = Path.Combine(RepositoryRoot.Path, "src", "Contracts", "Events");

        var tooLong = new[] { "src", "tests" }
            .SelectMany(d =>
                Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, d), "*.cs", SearchOption.AllDirectories)
            )
            .Where(f =>
                !f.StartsWith(generated, StringComparison.Ordinal)
                && !f.Contains(
                    $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}",
                    StringComparison.Ordinal
                )
                && !f.Contains(
                    $"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}",
                    StringComparison.Ordinal
                )
            )
            .SelectMany(f =>
                File.ReadLines(f)
                    .Select((line, i) => (File: Path.GetRelativePath(RepositoryRoot.Path, f), Line: i + 1, line.Length))
            )
            .Where(l => l.Length > limit)
            .ToList();

        Assert.Equal(120, limit);
        Assert.True(
            tooLong.Count == 0,
            string.Join("\n", tooLong.Take(20).Select(l => $"{l.File}:{l.Line} has {l.Length} characters"))
        );
    }

    /// <summary>"Project/Folder" to the folders its files import, from <c>using Inference.Streaming.X.Y;</c>.</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var project in new[] { "Worker", "Engine" })
        {
            var root = Path.Combine(RepositoryRoot.Path, "src", project);
            foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
                if (relative[0] is "bin" or "obj")
                {
                    continue;
                }

                var from = $"{project}/{(relative.Length > 1 ? relative[0] : ".")}";
                var edges = graph.TryGetValue(from, out var found) ? found : graph[from] = [];
                foreach (Match match in Using().Matches(File.ReadAllText(file)))
                {
                    var folder = match.Groups["folder"].Success ? match.Groups["folder"].Value : ".";
                    var to = $"{match.Groups["project"].Value}/{folder}";
                    if (
                        to != from
                        && (
                            to.StartsWith("Worker/", StringComparison.Ordinal)
                            || to.StartsWith("Engine/", StringComparison.Ordinal)
                        )
                    )
                    {
                        edges.Add(to);
                    }
                }
            }
        }

        return graph;
    }

    private static List<List<string>> Cycles(Dictionary<string, HashSet<string>> graph)
    {
        var cycles = new List<List<string>>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();

        void Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, []).Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    cycles.Add([.. path[path.IndexOf(next)..], next]);
                }
                else if (state.GetValueOrDefault(next) == 0)
                {
                    Visit(next);
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0)
            {
                Visit(node);
            }
        }

        return cycles;
    }

    [GeneratedRegex(@"^max_line_length\s*=\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex MaxLineLength();

    [GeneratedRegex(
        @"^using (?:static )?Inference\.Streaming\.(?<project>Worker|Engine)(?:\.(?<folder>[A-Za-z]+))?[.;]",
        RegexOptions.Multiline
    )]
    private static partial Regex Using();
}
