using System.Text.RegularExpressions;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>The metric names a PromQL expression selects (enough PromQL for a dashboard's queries).</summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "inf",
        "nan",
    };

    public static IEnumerable<string> MetricNames(string expression)
    {
        var text = LabelMatchers().Replace(expression, " ");
        text = Grouping().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Strings().Replace(text, " ");
        foreach (Match token in Identifier().Matches(text))
        {
            var name = token.Value;
            var isCall = text.AsSpan(token.Index + token.Length).TrimStart().StartsWith("(");
            if (!isCall && !Keywords.Contains(name))
            {
                yield return name;
            }
        }
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();
}
