using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Hosting;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Regimes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Hosting;

/// <summary>The <c>regimes</c> service's composition, built (not started) as its process builds it.</summary>
public sealed class RegimeServiceHostTests
{
    [Fact]
    public async Task TheServiceHasItsOwnGroupChangelogAndTransactionalIdAndPublishesRegimesInsteadOfDecisions()
    {
        var builder = WebApplication.CreateBuilder(
            new WebApplicationOptions
            {
                Args =
                [
                    "--Kafka:BootstrapServers",
                    "127.0.0.1:9",
                    "--SchemaRegistry:Url",
                    "http://127.0.0.1:9",
                    "--Kafka:Delivery",
                    "ExactlyOnce",
                    "--Kafka:Topics:MarketTicks:Partitions",
                    "3",
                    "--Kafka:Topics:RegimeUpdates:Partitions",
                    "3",
                    "--Kafka:Topics:InferenceState:Partitions",
                    "3",
                ],
            }
        );
        builder.AddInferenceWorker(WorkerMode.Regimes);
        await using var app = builder.Build();

        var kafka = app.Services.GetRequiredService<IOptions<KafkaOptions>>().Value;
        Assert.Equal("inference-regime-detector", kafka.GroupId);
        Assert.StartsWith("inference-regime-detector-", kafka.Producer["transactional.id"], StringComparison.Ordinal);
        Assert.Equal("regime-detector-state", kafka.Topics.InferenceState.Name);
        Assert.Equal(3, kafka.Topics.InferenceState.Partitions);
        Assert.Single(kafka.Topics.All(), t => t.Topic.Name == "regime-detector-state");
        Assert.Equal(RegimeSource.Detector, app.Services.GetRequiredService<IOptions<RegimeOptions>>().Value.Source);
        Assert.IsType<RegimePublisher>(app.Services.GetRequiredService<IDecisionIntake>());
    }
}
