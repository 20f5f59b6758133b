using System.Runtime.InteropServices;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>
/// librdkafka's mock cluster hosted in this process: real Kafka protocol on loopback sockets,
/// with its own tools for topic creation and fault injection. Thread-safe for the calls exposed.
/// </summary>
public sealed class MockCluster : IDisposable
{
    private readonly Lock _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    private MockCluster(IntPtr handle, IntPtr cluster, int brokerCount)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers =
            Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
    }

    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>
    /// True when <paramref name="bootstrapServers"/> is a mock cluster (here, or in a <c>broker</c>
    /// process): its metadata carries the cluster id <c>mockCluster…</c>. False when the cluster
    /// cannot be reached within <paramref name="timeout"/>.
    /// </summary>
    public static bool IsMockCluster(
        string bootstrapServers,
        IEnumerable<KeyValuePair<string, string>> clientConfig,
        TimeSpan timeout
    )
    {
        const int errLength = 512;
        var err = Marshal.AllocHGlobal(errLength);
        var handle = IntPtr.Zero;
        try
        {
            var conf = LibRdKafka.rd_kafka_conf_new();
            _ = LibRdKafka.rd_kafka_conf_set(conf, "log_level", "3", err, errLength);
            foreach (var (key, value) in clientConfig)
            {
                // Security settings reach the cluster the way the worker's own clients do.
                _ = LibRdKafka.rd_kafka_conf_set(conf, key, value, err, errLength);
            }

            _ = LibRdKafka.rd_kafka_conf_set(conf, "bootstrap.servers", bootstrapServers, err, errLength);
            handle = LibRdKafka.rd_kafka_new(LibRdKafka.ProducerType, conf, err, errLength);
            if (handle == IntPtr.Zero)
            {
                return false;
            }

            var id = LibRdKafka.rd_kafka_clusterid(handle, (int)timeout.TotalMilliseconds);
            if (id == IntPtr.Zero)
            {
                return false;
            }

            var text = Marshal.PtrToStringUTF8(id);
            LibRdKafka.rd_kafka_mem_free(handle, id);
            return text?.StartsWith("mockCluster", StringComparison.Ordinal) == true;
        }
        finally
        {
            if (handle != IntPtr.Zero)
            {
                LibRdKafka.rd_kafka_destroy(handle);
            }

            Marshal.FreeHGlobal(err);
        }
    }

    /// <summary>Starts a mock cluster with <paramref name="brokerCount"/> brokers on loopback.</summary>
    public static MockCluster Start(int brokerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        const int errLength = 512;
        var err = Marshal.AllocHGlobal(errLength);
        try
        {
            var conf = LibRdKafka.rd_kafka_conf_new();
            // The hosting handle never talks to a broker; keep its own logging quiet.
            _ = LibRdKafka.rd_kafka_conf_set(conf, "log_level", "3", err, errLength);
            var handle = LibRdKafka.rd_kafka_new(LibRdKafka.ProducerType, conf, err, errLength);
            if (handle == IntPtr.Zero)
            {
                throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8(err));
            }

            var cluster = LibRdKafka.rd_kafka_mock_cluster_new(handle, brokerCount);
            if (cluster == IntPtr.Zero)
            {
                LibRdKafka.rd_kafka_destroy(handle);
                throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
            }

            // Consumer groups otherwise wait the broker default (3 s) before the first rebalance.
            _ = LibRdKafka.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
            return new MockCluster(handle, cluster, brokerCount);
        }
        finally
        {
            Marshal.FreeHGlobal(err);
        }
    }

    /// <summary>Creates a topic; replication is capped at the broker count.</summary>
    public void CreateTopic(string name, int partitions, int replicationFactor)
    {
        var replicas = replicationFactor <= 0 ? BrokerCount : Math.Min(replicationFactor, BrokerCount);
        Call(
            cluster => LibRdKafka.rd_kafka_mock_topic_create(cluster, name, partitions, replicas),
            $"create topic '{name}'"
        );
    }

    public void SetBrokerDown(int brokerId) =>
        Call(cluster => LibRdKafka.rd_kafka_mock_broker_set_down(cluster, brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId) =>
        Call(cluster => LibRdKafka.rd_kafka_mock_broker_set_up(cluster, brokerId), $"set broker {brokerId} up");

    /// <summary>
    /// Removes every record of one partition before <paramref name="beforeOffset"/>, as a broker's
    /// retention does: the log then starts there, and a fetch from an older offset is out of range.
    /// </summary>
    public void DeleteRecords(string topic, int partition, long beforeOffset) =>
        Call(
            cluster => LibRdKafka.rd_kafka_mock_partition_delete_records(cluster, topic, partition, beforeOffset),
            $"delete records of {topic}[{partition}] before offset {beforeOffset}"
        );

    /// <summary>Makes the next requests of one API key fail with the given Kafka error codes, in order.</summary>
    public void PushRequestErrors(short apiKey, params int[] errorCodes) =>
        Call(
            cluster =>
            {
                LibRdKafka.rd_kafka_mock_push_request_errors_array(
                    cluster,
                    apiKey,
                    (nuint)errorCodes.Length,
                    errorCodes
                );
                return 0;
            },
            $"push errors for API key {apiKey}"
        );

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero)
            {
                LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }

            if (_handle != IntPtr.Zero)
            {
                LibRdKafka.rd_kafka_destroy(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }

    // Each call holds the lock that Dispose takes, so the cluster cannot be destroyed under a call that has read its
    // handle (a retention sweep or a topic creation still running when the host's stop timed out).
    private void Call(Func<IntPtr, int> call, string what)
    {
        int err;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            err = call(_cluster);
        }

        if (err != 0)
        {
            throw new InvalidOperationException($"Mock cluster could not {what}: {LibRdKafka.ErrorText(err)}.");
        }
    }
}
