using System.Globalization;
using System.Text.RegularExpressions;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// Reads a worker's log for the symbols its state restores hold now. A worker can be assigned some
/// partitions, restore them, lose them in a rebalance and be assigned them again (the embedded broker
/// ignores <c>group.instance.id</c>, so a restarted member shares the group with its killed self until
/// that session runs out): each partition counts once, by its latest restore, and only while the
/// worker still holds it.
/// </summary>
internal static partial class RestoreLog
{
    /// <summary>Symbols restored from <paramref name="changelog"/> by the partitions the worker holds.</summary>
    public static int SymbolsHeld(string log, string changelog)
    {
        var restored = new Dictionary<int, int>();
        foreach (var line in log.Split('\n'))
        {
            if (Restored().Match(line) is { Success: true } restore && restore.Groups[1].Value == changelog)
            {
                restored[Number(restore.Groups[2])] = Number(restore.Groups[3]);
            }
            else if (
                line.Contains("Partitions revoked:", StringComparison.Ordinal)
                || line.Contains("Partitions lost:", StringComparison.Ordinal)
            )
            {
                foreach (Match partition in Partition().Matches(line))
                {
                    restored.Remove(Number(partition.Groups[1]));
                }
            }
        }

        return restored.Values.Sum();
    }

    private static int Number(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Restored ([\w.-]+)\[(\d+)\]: (\d+) symbols")]
    private static partial Regex Restored();

    [GeneratedRegex(@"[\w.-]+ \[\[(\d+)\]\]")]
    private static partial Regex Partition();
}
