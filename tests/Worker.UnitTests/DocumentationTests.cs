using System.Text.RegularExpressions;
using Inference.Streaming.Tests;

namespace Inference.Streaming.Worker.UnitTests;

/// <summary>
/// The documentation holds together: every relative link of every Markdown file resolves to a file of the
/// repository (and its anchor to a heading there), nothing points outside the repository, the README stays a
/// front door, and every page under <c>docs/</c> can be reached from it.
/// </summary>
public sealed partial class DocumentationTests
{
    private static readonly string[] Skipped = [".git", "bin", "obj", "node_modules", "artifacts", "TestResults"];

    [Fact]
    public void EveryRelativeLinkAndAnchorResolves()
    {
        var broken = new List<string>();
        foreach (var file in MarkdownFiles())
        {
            foreach (var target in Links(File.ReadAllText(file)))
            {
                if (Problem(file, target) is { } problem)
                {
                    broken.Add($"{Relative(file)}: {target} ({problem})");
                }
            }
        }

        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void TheCheckerFindsABrokenFileABrokenAnchorAndALinkOutside()
    {
        var readme = Path.Combine(RepositoryRoot.Path, "README.md");

        Assert.Null(Problem(readme, "docs/design.md#topics"));
        Assert.Equal("no such file", Problem(readme, "docs/no-such-page.md"));
        Assert.Equal("no heading 'no-such-heading'", Problem(readme, "docs/design.md#no-such-heading"));
        Assert.Equal("outside the repository", Problem(readme, "../shared/DESIGN.md"));
    }

    [Fact]
    public void EveryAlertsRunbookUrlNamesASectionOfTheRunbooks()
    {
        var alerts = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "compose", "prometheus", "alerts.yml"));
        var urls = RunbookUrl().Matches(alerts).Select(m => m.Groups[1].Value).ToList();
        var rules = AlertName().Count(alerts);

        Assert.Equal(rules, urls.Count);
        var root = Path.Combine(RepositoryRoot.Path, "README.md");
        Assert.All(urls, url => Assert.Null(Problem(root, url)));
    }

    [Fact]
    public void TheReadmeIsAFrontDoorThatReachesEveryPage()
    {
        var readme = Path.Combine(RepositoryRoot.Path, "README.md");
        var lines = File.ReadAllLines(readme);
        Assert.True(lines.Length < 200, $"README.md has {lines.Length} lines; the reference belongs under docs/");

        // Every page under docs/ is one click from the README, or one click from a page the README links.
        var fromReadme = LinkedPages(readme).ToHashSet(StringComparer.Ordinal);
        var reachable = fromReadme.SelectMany(LinkedPages).Concat(fromReadme).ToHashSet(StringComparer.Ordinal);
        var pages = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "docs"), "*.md", SearchOption.AllDirectories);
        var unreachable = pages.Select(Path.GetFullPath).Where(p => !reachable.Contains(p)).Select(Relative).ToList();
        Assert.True(unreachable.Count == 0, "not reachable from README.md: " + string.Join(", ", unreachable));
    }

    [Fact]
    public void NothingCitesTheBlueprintOutsideTheRepository()
    {
        var citing = new List<string>();
        foreach (var folder in new[] { "src", "tests", "docs", "deploy", "compose", "build", "models", "examples" })
        {
            var root = Path.Combine(RepositoryRoot.Path, folder);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                if (
                    file.Split(Path.DirectorySeparatorChar).Any(Skipped.Contains)
                    || file.EndsWith(nameof(DocumentationTests) + ".cs", StringComparison.Ordinal)
                    || new FileInfo(file).Length > 1 << 20
                )
                {
                    continue;
                }

                var text = File.ReadAllText(file);
                if (
                    text.Contains("DESIGN.md", StringComparison.Ordinal)
                    || text.Contains("../shared/", StringComparison.Ordinal)
                )
                {
                    citing.Add(Relative(file));
                }
            }
        }

        Assert.True(citing.Count == 0, "cite a file outside the repository: " + string.Join(", ", citing));
    }

    private static IEnumerable<string> MarkdownFiles() =>
        Directory
            .EnumerateFiles(RepositoryRoot.Path, "*.md", SearchOption.AllDirectories)
            .Where(f =>
                !Path.GetRelativePath(RepositoryRoot.Path, f).Split(Path.DirectorySeparatorChar).Any(Skipped.Contains)
            );

    /// <summary>The targets of the inline links of <paramref name="markdown"/>, outside code.</summary>
    private static IEnumerable<string> Links(string markdown)
    {
        var prose = InlineCode().Replace(FencedCode().Replace(markdown, ""), "");
        return InlineLink().Matches(prose).Select(m => m.Groups[1].Value);
    }

    /// <summary>What is wrong with <paramref name="target"/> as a link from <paramref name="file"/>, or null.</summary>
    private static string? Problem(string file, string target)
    {
        if (Scheme().IsMatch(target))
        {
            return null; // http:, https:, mailto: are not checked offline
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var path = hash < 0 ? target : target[..hash];
        var anchor = hash < 0 ? null : target[(hash + 1)..];
        var resolved = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
        if (!resolved.StartsWith(RepositoryRoot.Path + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return "outside the repository";
        }

        if (!File.Exists(resolved) && !Directory.Exists(resolved))
        {
            return "no such file";
        }

        return
            anchor is null || !resolved.EndsWith(".md", StringComparison.Ordinal) || Anchors(resolved).Contains(anchor)
            ? null
            : $"no heading '{anchor}'";
    }

    /// <summary>GitHub's anchors for the headings of a Markdown file: lower case, punctuation dropped, spaces to
    /// hyphens, a repeated heading numbered.</summary>
    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }

            if (inFence || Heading().Match(line) is not { Success: true } heading)
            {
                continue;
            }

            var slug = NotSlug().Replace(heading.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-');
            var count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }

        return anchors;
    }

    private static IEnumerable<string> LinkedPages(string file) =>
        Links(File.ReadAllText(file))
            .Where(t => !Scheme().IsMatch(t))
            .Select(t => t.Split('#')[0])
            .Where(t => t.EndsWith(".md", StringComparison.Ordinal))
            .Select(t => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, t)))
            .Where(File.Exists);

    private static string Relative(string file) => Path.GetRelativePath(RepositoryRoot.Path, file);

    [GeneratedRegex(@"runbook_url: (\S+)")]
    private static partial Regex RunbookUrl();

    [GeneratedRegex(@"- alert: ")]
    private static partial Regex AlertName();

    [GeneratedRegex(@"```.*?```", RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase)]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^#{1,6} (.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd}_\- ]")]
    private static partial Regex NotSlug();
}
