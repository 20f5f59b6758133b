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

    public ModelLease Acquire()
    {
        Interlocked.Increment(ref _acquisitions);
        return Empty
            ? throw new ModelsNotReadyException("No model set is loaded.")
            : (set.TryAcquire() ? new ModelLease(set) : throw new ModelsNotReadyException("The set is disposed."));
    }

    public Task<ModelSet> ReloadAsync(CancellationToken cancellationToken) => Task.FromResult(set);

    public void Dispose() => set.Dispose();
}
