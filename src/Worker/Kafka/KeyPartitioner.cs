using System.IO.Hashing;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// The co-partitioning contract: which partition a key belongs to, by the partitioners a producer
/// can be set to (<c>Kafka:Partitioner</c>, librdkafka's <c>partitioner</c>). Ticks and regime
/// updates of one symbol must be on the same partition number of their topics, so every producer
/// of them must hash keys the same way. <c>murmur2_random</c> (the default) is the Java client's
/// partitioner (<c>toPositive(murmur2(key)) % partitions</c>); <c>consistent_random</c>, librdkafka's
/// own default (Python, Go, C#, kcat), is <c>crc32(key) % partitions</c>. For a non-null key the
/// <c>_random</c> variants and the plain ones agree.
/// </summary>
public static class KeyPartitioner
{
    public const string Murmur2Random = "murmur2_random";
    public const string Murmur2 = "murmur2";
    public const string ConsistentRandom = "consistent_random";
    public const string Consistent = "consistent";

    /// <summary>The partitioners whose partition of a key the worker can check.</summary>
    public static readonly IReadOnlyList<string> Supported = [Murmur2Random, Murmur2, ConsistentRandom, Consistent];

    /// <summary>The partition <paramref name="partitioner"/> gives <paramref name="key"/> among
    /// <paramref name="partitions"/>.</summary>
    public static int PartitionOf(string partitioner, ReadOnlySpan<byte> key, int partitions) =>
        partitioner switch
        {
            Murmur2Random or Murmur2 => (int)((uint)(Hash(key) & 0x7fffffff) % (uint)partitions),
            ConsistentRandom or Consistent => (int)(Crc32.HashToUInt32(key) % (uint)partitions),
            _ => throw new ArgumentOutOfRangeException(nameof(partitioner), partitioner, "not a supported partitioner"),
        };

    /// <summary>Kafka's murmur2 (the Java client's <c>Utils.murmur2</c>, librdkafka's <c>rd_murmur2</c>).</summary>
    public static int Hash(ReadOnlySpan<byte> data)
    {
        const uint Seed = 0x9747b28c;
        const uint M = 0x5bd1e995;
        const int R = 24;
        var length = data.Length;
        var h = Seed ^ (uint)length;
        var whole = length / 4;
        for (var i = 0; i < whole; i++)
        {
            var k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        var tail = length & ~3;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return (int)h;
    }
}
