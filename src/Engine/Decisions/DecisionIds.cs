using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Inference.Streaming.Engine.Decisions;

/// <summary>
/// Deterministic decision ids: a name-based UUID (version 5, RFC 9562 section 5.5) of symbol, bar
/// end and the model set, so a duplicate is recognisable and a replay produces the same id.
/// </summary>
public static class DecisionIds
{
    // A fixed namespace for this product's decision ids (itself a v5 UUID of "inference-streaming/decision").
    private static readonly Guid Namespace = new("3c1b7a9e-52f4-5d0b-8f6a-2e9d4c7b1a05");

    public static Guid For(string symbol, long barEndMs, string modelFingerprint) =>
        NameBased(Namespace, $"{symbol}|{barEndMs}|{modelFingerprint}");

    // Every decision and every predict answer names its model set, and a worker serves one or two sets at a time:
    // the names are kept rather than hashed again (cleared past a bound, so reloads cannot grow it for ever).
    private const int KeptModelSetNames = 64;
    private static readonly ConcurrentDictionary<string, string> ModelSetNames = new(StringComparer.Ordinal);

    /// <summary>The short name of a model set (<c>set-</c> and 12 hex digits of its fingerprint's SHA-256), as in
    /// <c>model_version</c>.</summary>
    public static string ModelSet(string modelFingerprint)
    {
        if (ModelSetNames.TryGetValue(modelFingerprint, out var name))
        {
            return name;
        }

        if (ModelSetNames.Count >= KeptModelSetNames)
        {
            ModelSetNames.Clear();
        }

        name = "set-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelFingerprint)))[..12];
        ModelSetNames[modelFingerprint] = name;
        return name;
    }

    public static Guid NameBased(Guid ns, string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetByteCount(name)];
        ns.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input[16..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for version-5 UUIDs; it names, it does not protect.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
