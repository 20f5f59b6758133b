using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Worker.UnitTests;

/// <summary>A catalog over one set of PyTorch's fixture models, counting its leases (one per batch).</summary>
internal sealed class FixtureCatalog(ModelSet set) : IModelCatalog, IDisposable
{
    private int _acquisitions;

    public bool Empty { get; set; }

    public bool IsLoaded => !Empty;

    public string? LastReloadError => null;

    public int Acquisitions => Volatile.Read(ref _acquisitions);

    /// <summary>While closed, <see cref="Acquire"/> waits here (after setting <see cref="Waiting"/>): holds a batch
    /// in flight.</summary>
    public ManualResetEventSlim Gate { get; } = new(initialState: true);

    public ManualResetEventSlim Waiting { get; } = new();

    public ModelLease Acquire()
    {
        Interlocked.Increment(ref _acquisitions);
        if (!Gate.IsSet)
        {
            Waiting.Set();
            Gate.Wait(TimeSpan.FromSeconds(30));
        }

        return Empty
            ? throw new ModelsNotReadyException("No model set is loaded.")
            : (set.TryAcquire() ? new ModelLease(set) : throw new ModelsNotReadyException("The set is disposed."));
    }

    public Task<ModelSet> ReloadAsync(CancellationToken cancellationToken) => Task.FromResult(set);

    public void Dispose()
    {
        set.Dispose();
        Gate.Dispose();
        Waiting.Dispose();
    }
}
