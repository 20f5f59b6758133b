namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// One generation of loaded models, shared by every caller that leased it. Reference-counted: a
/// reload retires the set, and its tensors are disposed only when the last call in flight on it
/// has finished.
/// </summary>
public sealed class ModelSet : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<StackedPolicy>> _stacks = new(
        StringComparer.Ordinal
    );

    private int _references = 1;
    private string? _fingerprint;

    public ModelSet(
        long generation,
        string directory,
        IReadOnlyDictionary<string, LoadedModel> models,
        IReadOnlyList<ModelLoadError> errors
    )
    {
        Generation = generation;
        Directory = directory;
        Models = models;
        Errors = errors;
    }

    public long Generation { get; }

    public string Directory { get; }

    public IReadOnlyDictionary<string, LoadedModel> Models { get; }

    public IReadOnlyList<ModelLoadError> Errors { get; }

    /// <summary>The directory's <c>background.json</c>, for expected gradients; null when it has none (or a broken
    /// one, listed in <see cref="Errors"/>).</summary>
    public BackgroundSet? Background { get; init; }

    /// <summary>Names and SHA-256 of the loaded models, stable across processes (for decision ids); worked out once,
    /// as every decision and predict answer asks for it.</summary>
    public string Fingerprint =>
        _fingerprint ??= string.Join(
            ';',
            Models
                .Values.OrderBy(m => m.Info.Name, StringComparer.Ordinal)
                .Select(m => $"{m.Info.Name}={m.Info.Sha256}")
        );

    /// <summary>
    /// The stacked form of these models of this set (in this order), built on first use and kept with the set: at
    /// most one per combination of its models, each a copy of their weights.
    /// </summary>
    internal StackedPolicy StackOf(IReadOnlyList<LoadedModel> models)
    {
        var key = string.Join('\n', models.Select(m => m.Info.Name));
        return _stacks
            .GetOrAdd(key, _ => new Lazy<StackedPolicy>(() => new StackedPolicy([.. models.Select(m => m.Seed!)])))
            .Value;
    }

    /// <summary>How many stacks the set has built.</summary>
    internal int StackCount => _stacks.Count;

    internal bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            foreach (var model in Models.Values)
            {
                model.Dispose();
            }

            foreach (var stack in _stacks.Values.Where(s => s.IsValueCreated))
            {
                stack.Value.Dispose();
            }
        }
    }

    /// <summary>
    /// Drops the owner's reference (the catalog's, or a tool's that loaded the set itself); the
    /// tensors are freed once no lease holds the set either.
    /// </summary>
    public void Dispose() => Release();
}
