using System.Reflection;
using System.Runtime.InteropServices;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>
/// The slice of librdkafka's C API that hosts its mock cluster (rdkafka_mock.h). The mock cluster
/// speaks the real Kafka protocol on real sockets, so every client connects to it as to a broker.
/// </summary>
internal static partial class LibRdKafka
{
    private const string Library = "librdkafka";

    public const int ProducerType = 0;

    // Kafka protocol API keys used for error injection (rd_kafka_mock_push_request_errors).
    public const short ProduceApiKey = 0;
    public const short FetchApiKey = 1;

    static LibRdKafka() => NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, Resolve);

    /// <summary>Path of the librdkafka build that loaded, for diagnostics.</summary>
    public static string? LoadedFrom { get; private set; }

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(
        IntPtr conf,
        string name,
        string value,
        IntPtr errstr,
        nuint errstrSize
    );

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, IntPtr errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_clusterid(IntPtr rk, int timeoutMs);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mem_free(IntPtr rk, IntPtr ptr);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr mcluster);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(
        IntPtr mcluster,
        string topic,
        int partitionCount,
        int replicationFactor
    );

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr mcluster, int delayMs);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr mcluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr mcluster, int brokerId);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_partition_delete_records(
        IntPtr mcluster,
        string topic,
        int partition,
        long beforeOffset
    );

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_push_request_errors_array(
        IntPtr mcluster,
        short apiKey,
        nuint count,
        [In] int[] errors
    );

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_err2str(int err);

    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(rd_kafka_err2str(err)) ?? $"error {err}";

    // Confluent.Kafka ships several Linux builds of librdkafka. The plain one links against
    // libsasl2.so.3, which Debian 12 lacks, so fall back to the CentOS 8 build as Confluent.Kafka
    // itself does (docs/design.md, Platform facts).
    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Library)
        {
            return IntPtr.Zero;
        }

        string[] folders =
        [
            AppContext.BaseDirectory,
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"),
        ];
        string[] names = ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];
        foreach (var folder in folders)
        {
            foreach (var name in names)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                {
                    LoadedFrom = path;
                    return handle;
                }
            }
        }

        return NativeLibrary.TryLoad(libraryName, assembly, searchPath, out var fallback) ? fallback : IntPtr.Zero;
    }
}
