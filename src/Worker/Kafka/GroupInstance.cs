using System.Text;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Static group membership (KIP-345) for the ingest consumer. A member with a
/// <c>group.instance.id</c> that restarts within <c>session.timeout.ms</c> gets its own partitions
/// back without a rebalance; a dynamic member's restart waits out the dead member's session.
/// The id is <c>Kafka:InstanceId</c>, or else <c>{machine}-{slot}</c>: the slot is the lowest
/// number whose lock file this process holds in the temp folder, so two workers on one machine
/// get different ids and a restarted worker gets its old one (the OS releases a killed process's
/// lock). Two members with one id fence each other, so a configured id must be unique.
/// </summary>
public sealed class GroupInstance(IOptions<KafkaOptions> options, ILogger<GroupInstance> logger) : IDisposable
{
    private const int MaxSlots = 1000;
    private readonly Lock _gate = new();
    private FileStream? _slot;
    private string? _id;
    private bool _resolved;

    /// <summary>The <c>group.instance.id</c>, or null when <c>Kafka:StaticMembership</c> is off.</summary>
    public string? Id
    {
        get
        {
            lock (_gate)
            {
                if (!_resolved)
                {
                    _id = Resolve();
                    _resolved = true;
                }

                return _id;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _slot?.Dispose();
            _slot = null;
        }
    }

    private string? Resolve()
    {
        var kafka = options.Value;
        if (!kafka.StaticMembership)
        {
            return null;
        }

        if (!string.IsNullOrWhiteSpace(kafka.InstanceId))
        {
            return kafka.InstanceId.Trim();
        }

        var machine = Sanitize(Environment.MachineName);
        var folder = Path.Combine(
            Path.GetTempPath(),
            "inference-streaming",
            "group-instances",
            Sanitize(kafka.GroupId)
        );
        try
        {
            Directory.CreateDirectory(folder);
            for (var slot = 0; slot < MaxSlots; slot++)
            {
                try
                {
                    // FileShare.None takes an exclusive advisory lock, held until this process ends.
                    _slot = new FileStream(
                        Path.Combine(folder, $"{slot}.lock"),
                        FileMode.OpenOrCreate,
                        FileAccess.ReadWrite,
                        FileShare.None
                    );
                    return $"{machine}-{slot}";
                }
                catch (IOException)
                {
                    // Held by another worker of this group on this machine.
                }
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            KafkaLog.GroupInstanceFallback(logger, folder, ex.Message);
        }

        // No slot could be locked: a fresh id per process still gives a static member, without reuse.
        return $"{machine}-{Environment.ProcessId}";
    }

    private static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        return builder.Length == 0 ? "worker" : builder.ToString(0, Math.Min(builder.Length, 100));
    }
}
