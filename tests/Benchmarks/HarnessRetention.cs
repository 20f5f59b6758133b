using Confluent.Kafka;
using Inference.Streaming.Worker.Embedded;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// Time-based retention for the benchmark's mock cluster, as the embedded worker has its own
/// (<c>Embedded:Retention</c>): every 10 s it notes each partition's end offset and removes what was
/// before the end noted <c>keep</c> ago. Without it the mock broker walks ever longer message-set lists
/// on every fetch and a 10-minute run measures the broker slowing down: in one soak without it the
/// independent reader fell 56 s behind (median) and the worker's acknowledgement p50 rose from 4 to
/// 14 ms.
/// </summary>
internal sealed class HarnessRetention : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private HarnessRetention(MockCluster cluster, (string Topic, int Partitions)[] topics, TimeSpan keep)
    {
        _loop = Task.Run(() => Run(cluster, topics, keep, _stop.Token));
    }

    public static HarnessRetention Start(MockCluster cluster, (string Topic, int Partitions)[] topics, TimeSpan keep) =>
        new(cluster, topics, keep);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException ex) when (ex.InnerException is OperationCanceledException)
        {
            // Stopped while waiting for the next sweep.
        }

        _stop.Dispose();
    }

    private static async Task Run(
        MockCluster cluster,
        (string Topic, int Partitions)[] topics,
        TimeSpan keep,
        CancellationToken stop
    )
    {
        using var reader = new ConsumerBuilder<Ignore, Ignore>(
            new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "harness-retention" }
        ).Build();
        var noted = new Dictionary<(string, int), Queue<(DateTime At, long End)>>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        while (await timer.WaitForNextTickAsync(stop))
        {
            var now = DateTime.UtcNow;
            foreach (var (topic, partitions) in topics)
            {
                for (var partition = 0; partition < partitions; partition++)
                {
                    long high;
                    try
                    {
                        high = reader
                            .QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(5))
                            .High.Value;
                    }
                    catch (KafkaException)
                    {
                        continue; // not created yet: the next sweep notes it
                    }

                    if (!noted.TryGetValue((topic, partition), out var ends))
                    {
                        noted[(topic, partition)] = ends = new Queue<(DateTime, long)>();
                    }

                    long? cut = null;
                    while (ends.TryPeek(out var end) && end.At <= now - keep)
                    {
                        cut = ends.Dequeue().End;
                    }

                    if (cut is > 0)
                    {
                        cluster.DeleteRecords(topic, partition, cut.Value);
                    }

                    ends.Enqueue((now, high));
                }
            }
        }
    }
}
