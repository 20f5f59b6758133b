using System.Reflection;
using System.Text.RegularExpressions;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Tests;
using Microsoft.Extensions.Logging;

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

    [Fact]
    public void TheWorkerShipsNoCommandLineParserPlottingOrTerminalUiAndNothingOfItUsesTheTools()
    {
        var worker = typeof(Worker.Ingest.RecordHandler)
            .Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .ToList();
        Assert.Contains("Confluent.Kafka", worker);
        Assert.DoesNotContain(
            worker,
            a =>
                a is "System.CommandLine" or "Spectre.Console" or "Inference.Streaming.Tools"
                || a.StartsWith("ScottPlot", StringComparison.Ordinal)
        );
        var project = File.ReadAllText(
            Path.Combine(RepositoryRoot.Path, "src", "Worker", "Inference.Streaming.Worker.csproj")
        );
        foreach (var package in new[] { "System.CommandLine", "ScottPlot", "Spectre.Console" })
        {
            Assert.DoesNotContain($"\"{package}\"", project, StringComparison.Ordinal);
        }

        // The tools' program is one command tree: every tool is a subcommand of one root.
        var root = Tools.Commands.ToolCommands.Root(TextWriter.Null, TextWriter.Null);
        Assert.Equal(
            ["backtest", "detect", "experiment-report", "export", "replay", "score", "tail"],
            root.Subcommands.Select(c => c.Name).Order(StringComparer.Ordinal)
        );
    }

    [Theory]
    [InlineData("Ingest")]
    [InlineData("State")]
    [InlineData("Decisions")]
    [InlineData("Publishing")]
    public void NoFileOfAStreamFolderIsOverThreeHundredLines(string folder)
    {
        var files = Directory
            .EnumerateFiles(Path.Combine(RepositoryRoot.Path, "src", "Worker", folder), "*.cs")
            .Select(f => (Name: Path.GetFileName(f), Lines: File.ReadLines(f).Count()))
            .ToList();

        Assert.NotEmpty(files);
        var large = files.Where(f => f.Lines > MaxStreamFileLines).Select(f => $"{f.Name}: {f.Lines} lines").ToList();
        Assert.True(
            large.Count == 0,
            $"{folder}/ holds files over {MaxStreamFileLines} lines: " + string.Join(", ", large)
        );
    }

    [Fact]
    public void NoStreamTypeKnowsWhichProgramRunsAndNoneTakesAnOptionalService()
    {
        var stream = new[] { "Ingest", "State", "Decisions", "Publishing", "Fleet", "Serving", "DemoFeed", "Kafka" };
        var naming = stream
            .SelectMany(folder =>
                Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "src", "Worker", folder), "*.cs")
            )
            .Where(f => File.ReadAllText(f).Contains("WorkerMode", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepositoryRoot.Path, f))
            .ToList();
        Assert.True(naming.Count == 0, "these read the program's mode: " + string.Join(", ", naming));

        // A service that one program registers and another does not shows up as an optional parameter: each
        // program registers a real one or a null version instead.
        var optional = typeof(Worker.Ingest.RecordHandler)
            .Assembly.GetTypes()
            .Where(t => stream.Any(f => t.Namespace == $"Inference.Streaming.Worker.{f}"))
            .SelectMany(t =>
                t.GetConstructors().SelectMany(c => c.GetParameters().Select(p => (Type: t, Parameter: p)))
            )
            .Where(x =>
                x.Parameter.HasDefaultValue
                && x.Parameter.DefaultValue is null
                && x.Parameter.ParameterType.Namespace is { } ns
                && (
                    ns.StartsWith("Inference.Streaming", StringComparison.Ordinal)
                    || ns.StartsWith("Microsoft.Extensions", StringComparison.Ordinal)
                )
            )
            .Select(x => $"{x.Type.Name}({x.Parameter.ParameterType.Name} {x.Parameter.Name})")
            .ToList();
        Assert.True(optional.Count == 0, "optional services: " + string.Join(", ", optional));
    }

    [Fact]
    public void EveryLogMessageHasAnExplicitIdInsideItsAreasBandAndNoTwoShareOne()
    {
        var messages = ProductAssemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t =>
                t.GetMethods(
                        BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly
                    )
                    .Select(m => (Type: t, Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            )
            .Where(m => m.Attribute is not null)
            .Select(m => (Name: $"{m.Type.Name}.{m.Method.Name}", m.Type.Namespace, Id: m.Attribute!.EventId))
            .ToList();

        Assert.True(messages.Count > 50, $"found only {messages.Count} log messages");
        var outside = messages
            .Where(m =>
                LogEventBands.All.SingleOrDefault(b => b.Namespace == m.Namespace) is not { Namespace: not null } band
                || m.Id < band.First
                || m.Id > band.Last
            )
            .Select(m => $"{m.Name} ({m.Id}, {m.Namespace})")
            .ToList();
        Assert.True(outside.Count == 0, "outside their area's band (or in no band): " + string.Join(", ", outside));
        var shared = messages
            .GroupBy(m => m.Id)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: " + string.Join(" and ", g.Select(m => m.Name)))
            .ToList();
        Assert.True(shared.Count == 0, "ids used twice: " + string.Join("; ", shared));
        var overlapping = LogEventBands
            .All.SelectMany(a => LogEventBands.All.Where(b => a != b && a.First <= b.Last && b.First <= a.Last))
            .ToList();
        Assert.Empty(overlapping);
    }

    /// <summary>
    /// <see cref="System.ComponentModel.DataAnnotations.RangeAttribute"/> with string bounds converts them on first
    /// use without a lock, and two hosts validating one options type at once can then throw (a CI run did): a
    /// <see cref="TimeSpan"/> setting takes <see cref="Engine.Validation.TimeSpanRangeAttribute"/> instead.
    /// </summary>
    [Fact]
    public void NoSettingHasARangeWithStringBounds()
    {
        var ranged = ProductAssemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .SelectMany(p =>
                p.GetCustomAttributes<System.ComponentModel.DataAnnotations.RangeAttribute>().Select(r => (p, r))
            )
            .ToList();
        Assert.Contains(ranged, x => x.p.Name == "MaxTicksPerSymbol");

        var offenders = ranged
            .Where(x => x.r.Minimum is string || x.r.Maximum is string)
            .Select(x => $"{x.p.DeclaringType!.Name}.{x.p.Name}")
            .ToList();

        Assert.True(offenders.Count == 0, "ranges with string bounds: " + string.Join(", ", offenders));
    }

    /// <summary>The worker's, the engine's and the API's assemblies: the code that runs in production.</summary>
    private static readonly Assembly[] ProductAssemblies =
    [
        typeof(Worker.Ingest.RecordHandler).Assembly,
        typeof(DecisionFunction).Assembly,
        typeof(PredictApi.ApiOptions).Assembly,
    ];

    private const int MaxStreamFileLines = 300;

    /// <summary>"Project/Folder" to the folders its files import, from <c>using Inference.Streaming.X.Y;</c>.</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var project in new[] { "Worker", "Engine", "Tools" })
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
                            || to.StartsWith("Tools/", StringComparison.Ordinal)
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
        @"^using (?:static )?Inference\.Streaming\.(?<project>Worker|Engine|Tools)(?:\.(?<folder>[A-Za-z]+))?[.;]",
        RegexOptions.Multiline
    )]
    private static partial Regex Using();
}
