namespace Inference.Streaming.Tools.Forensics;

/// <summary>
/// Which forensics records to read: a half-open range of bar end times (<c>From</c> ≤ bar end &lt;
/// <c>To</c>), a half-open range of offsets (applied to every partition of a topic), and optionally
/// only some symbols.
/// </summary>
public sealed record ForensicsQuery
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public long? FromOffset { get; init; }

    public long? ToOffset { get; init; }

    public IReadOnlySet<string> Symbols { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public bool Includes(Contracts.Events.DecisionForensics record)
    {
        var barEnd = new DateTimeOffset(DateTime.SpecifyKind(record.decision.bar_end, DateTimeKind.Utc));
        return (Symbols.Count == 0 || Symbols.Contains(record.decision.symbol))
            && (From is not { } from || barEnd >= from)
            && (To is not { } to || barEnd < to);
    }
}
