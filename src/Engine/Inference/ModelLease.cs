namespace Inference.Streaming.Engine.Inference;

/// <summary>A hold on one <see cref="ModelSet"/> for the duration of a call.</summary>
public readonly struct ModelLease : IDisposable
{
    internal ModelLease(ModelSet set) => Set = set;

    public ModelSet Set { get; }

    public void Dispose() => Set?.Release();
}
