using Inference.Streaming.Worker.Embedded;

namespace Inference.Streaming.Worker.UnitTests.Embedded;

public sealed class MockClusterTests
{
    [Fact]
    public async Task CallsRacingTheClustersDisposalEitherCompleteOrAreRefusedAsDisposed()
    {
        // A retention sweep or a topic creation can still be running when a host whose stop timed out destroys its
        // embedded cluster. A call that had read the cluster's handle before the destroy used freed memory; each
        // call now holds the lock the disposal takes.
        for (var round = 0; round < 20; round++)
        {
            var cluster = MockCluster.Start(1);
            cluster.CreateTopic("t", 1, 1);
            var refused = 0;
            using var start = new Barrier(3);
            var callers = Enumerable
                .Range(0, 2)
                .Select(caller =>
                    Task.Factory.StartNew(
                        () =>
                        {
                            start.SignalAndWait();
                            for (var call = 0; call < 200; call++)
                            {
                                try
                                {
                                    cluster.CreateTopic($"t{caller}-{call}", 1, 1);
                                    cluster.DeleteRecords("t", 0, 0);
                                }
                                catch (ObjectDisposedException)
                                {
                                    Interlocked.Increment(ref refused);
                                    return;
                                }
                            }
                        },
                        TaskCreationOptions.LongRunning
                    )
                )
                .ToArray();
            start.SignalAndWait();
            cluster.Dispose();
            // Bounded: a call into a destroyed cluster can also wait forever on its freed queue.
            await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("after", 1, 1));
            Assert.InRange(refused, 0, 2);
        }
    }
}
