namespace Inference.Streaming.Engine.Inference;

/// <summary>The current model set, swapped atomically on reload.</summary>
public interface IModelCatalog
{
    /// <summary>True once the first load has finished (whatever it refused).</summary>
    bool IsLoaded { get; }

    /// <summary>Why the last reload failed as a whole (the previous set kept serving); null once one
    /// succeeds.</summary>
    string? LastReloadError { get; }

    /// <summary>Holds the current set until the lease is disposed; throws <see cref="ModelsNotReadyException"/> before
    /// the first load.</summary>
    ModelLease Acquire();

    /// <summary>Loads the directory again, swaps the new set in, then retires the old one.</summary>
    Task<ModelSet> ReloadAsync(CancellationToken cancellationToken);
}
