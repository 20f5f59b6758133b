using System.Globalization;
using System.Text.RegularExpressions;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// Reads a worker's log for what its state restores brought back from the state a predecessor left.
/// </summary>
internal static partial class RestoreLog
{
    /// <summary>
    /// Symbols restored from <paramref name="changelog"/> by each partition's first restore in the log: the state
    /// that a predecessor left, since a worker writes a partition's checkpoints only after restoring it. A
    /// rebalance may follow: the embedded broker ignores <c>group.instance.id</c>, so the killed member keeps its
    /// place until its session runs out, and a session lost on a loaded machine takes every partition away and
    /// then restores them again. Counted by the partitions held at one moment, that count passes through zero.
    /// </summary>
    public static int SymbolsFirstRestored(string log, string changelog)
    {
        var restored = new Dictionary<int, int>();
        foreach (Match restore in Restored().Matches(log))
        {
            if (restore.Groups[1].Value == changelog)
            {
                restored.TryAdd(Number(restore.Groups[2]), Number(restore.Groups[3]));
            }
        }

        return restored.Values.Sum();
    }

    private static int Number(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Restored ([\w.-]+)\[(\d+)\]: (\d+) symbols")]
    private static partial Regex Restored();
}
