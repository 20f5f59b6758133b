using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.UnitTests.Kafka;

public sealed class ClientStatisticsTests
{
    [Fact]
    public void AProducersRetriesAreTheSumOverItsBrokersAndUnknownWithoutBrokers()
    {
        const string Statistics = """
            {"name": "p#producer-1", "type": "producer", "brokers": {
              "localhost:9092/1": {"name": "localhost:9092/1", "txretries": 3, "tx": 100},
              "localhost:9093/2": {"name": "localhost:9093/2", "txretries": 4, "tx": 50},
              "GroupCoordinator": {"name": "GroupCoordinator"}}}
            """;

        Assert.Equal(7, ClientStatistics.ProducerRetries(Statistics));
        Assert.Null(ClientStatistics.ProducerRetries("""{"name": "p#producer-1", "type": "producer"}"""));
    }
}
