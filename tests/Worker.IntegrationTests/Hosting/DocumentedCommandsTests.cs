using System.Text.RegularExpressions;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.IntegrationTests.Interop;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// Every worker, tool and trainer command the documentation shows in a shell block exists, answers <c>--help</c> with
/// exit code 0, and takes every option the documentation gives it: a renamed or removed flag fails here instead of
/// in a reader's terminal. (The README's tour runs for real in <see cref="TourTests"/>.)
/// </summary>
public sealed partial class DocumentedCommandsTests(ITestOutputHelper output)
{
    // Commands that start a host rather than parse options of their own: their options are configuration.
    private static readonly HashSet<string> HostModes = new(StringComparer.Ordinal) { "", "broker", "regimes" };

    [Fact]
    public async Task EveryDocumentedCommandAndOptionExists()
    {
        var documented = DocumentedInvocations().ToList();
        Assert.Contains(documented, d => d.Project == "Tools" && d.Command == "tail");
        Assert.Contains(documented, d => d.Project == "Trainer" && d.Command == "train");

        var problems = new List<string>();
        foreach (
            var group in documented.Where(d => !HostModes.Contains(d.Command)).GroupBy(d => (d.Project, d.Command))
        )
        {
            var (project, command) = group.Key;
            var (code, help) = await HelpAsync(project, command);
            output.WriteLine($"{project} {command} --help: exit code {code}");
            if (code != 0)
            {
                problems.Add($"{project} {command} --help exits {code}: {help}");
                continue;
            }

            foreach (var (option, source) in group.SelectMany(d => d.Options.Select(o => (o, d.Source))).Distinct())
            {
                if (!Regex.IsMatch(help, $@"(^|[\s,]){Regex.Escape(option)}([\s,<=]|$)", RegexOptions.Multiline))
                {
                    problems.Add($"{source}: {project} {command} has no option {option}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheExtractionFindsAnOptionAcrossAContinuationLine()
    {
        var found = Invocations(
                "```bash\ndotnet run --project src/Tools -- export --bootstrap H:9092 \\\n"
                    + "    --jsonl f.jsonl --Risk:X 1\n```\n",
                "x.md"
            )
            .ToList();

        var export = Assert.Single(found);
        Assert.Equal(("Tools", "export"), (export.Project, export.Command));
        Assert.Equal(["--bootstrap", "--jsonl"], export.Options); // --Risk:X is configuration, not an option
    }

    private sealed record Invocation(string Project, string Command, IReadOnlyList<string> Options, string Source);

    private static IEnumerable<Invocation> DocumentedInvocations()
    {
        var files = Directory
            .EnumerateFiles(Path.Combine(RepositoryRoot.Path, "docs"), "*.md", SearchOption.AllDirectories)
            .Append(Path.Combine(RepositoryRoot.Path, "README.md"))
            .Append(Path.Combine(RepositoryRoot.Path, "examples", "README.md"))
            .Append(Path.Combine(RepositoryRoot.Path, "models", "README.md"));
        return files.SelectMany(f => Invocations(File.ReadAllText(f), Path.GetRelativePath(RepositoryRoot.Path, f)));
    }

    private static IEnumerable<Invocation> Invocations(string markdown, string source)
    {
        foreach (Match block in ShellBlock().Matches(markdown))
        {
            // Continuation lines joined, comments dropped.
            var text = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (var line in text.Split('\n'))
            {
                var code = line.Split(" #", 2)[0];
                if (DotnetRun().Match(code) is not { Success: true } run)
                {
                    continue;
                }

                var words = run.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var command = words.Length > 0 && !words[0].StartsWith('-') ? words[0] : "";
                var options = words
                    .Select(w => w.TrimStart('['))
                    .Where(w =>
                        w.StartsWith("--", StringComparison.Ordinal) && !w.Contains(':', StringComparison.Ordinal)
                    )
                    .Select(w => w.Split('=')[0].TrimEnd(']'))
                    .Where(w => w.Length > 2)
                    .Distinct()
                    .ToList();
                yield return new Invocation(run.Groups["project"].Value, command, options, source);
            }
        }
    }

    private static async Task<(int Code, string Help)> HelpAsync(string project, string command)
    {
        var dll = Path.Combine(ProgramLauncher.BuildDirectory(project), $"Inference.Streaming.{project}.dll");
        var run = await ExternalTool.RunAsync(
            "dotnet",
            [dll, command, "--help"],
            TimeSpan.FromSeconds(60),
            workingDirectory: RepositoryRoot.Path
        );
        return (run.ExitCode, run.Stdout + run.Stderr);
    }

    [GeneratedRegex(@"```(?:bash|sh|shell)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"dotnet run (?:-c \w+ )?--project src/(?<project>Worker|Trainer|Tools)(?: -- (?<args>.*))?$")]
    private static partial Regex DotnetRun();
}
