namespace Inference.Streaming.Worker.Kafka;

/// <summary>Runs the registered <see cref="ITopicProvisioner"/> during start-up, before the pipeline starts.</summary>
public sealed class TopicProvisioningService(ITopicProvisioner provisioner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => provisioner.EnsureTopicsAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
