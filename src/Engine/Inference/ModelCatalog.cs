using System.Diagnostics.Metrics;
using Inference.Streaming.Engine.Diagnostics;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Loads and warms the models at start-up, and reloads them when the directory changes or on
/// request: the new set is loaded beside the old, swapped in atomically, and the old one is
/// disposed once the calls in flight on it have finished.
/// </summary>
public sealed class ModelCatalog(
    ModelDirectoryLoader loader,
    IOptions<ModelOptions> models,
    IOptions<InferenceOptions> inference,
    TimeProvider time,
    ILogger<ModelCatalog> logger,
    IMeterFactory? meters = null
) : IModelCatalog, IHostedService, IDisposable
{
    public const string MeterName = "Inference.Streaming.Models";

    private readonly Histogram<double>? _loadTime = meters
        ?.Create(MeterName)
        .CreateHistogram<double>("model_load_time", "s", "Time to load and warm a model set");

    /// <summary>How often the directory is looked at for changes (with <c>Models:WatchForChanges</c>).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private ModelSet? _current;
    private long _generation;
    private ITimer? _poll;
    private string? _attempted;
    private string? _seen;
    private long _seenSince;
    private int _polling;

    public bool IsLoaded => Volatile.Read(ref _current) is not null;

    /// <summary>Why the last reload failed as a whole (the previous set kept serving); null after a reload that
    /// finished.</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>The directory as configured (<c>MODEL_DIR</c> wins over <c>Models:Directory</c>).</summary>
    public string Directory => Path.GetFullPath(models.Value.Directory);

    public ModelLease Acquire()
    {
        while (true)
        {
            var set = Volatile.Read(ref _current) ?? throw new ModelsNotReadyException("Models are not loaded yet.");
            if (set.TryAcquire())
            {
                return new ModelLease(set);
            }

            // The set was retired between the read and the acquire; the next read sees its successor.
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (meters?.Create(MeterName) is { } meter)
        {
            meter.CreateObservableGauge(
                "inference_models_loaded",
                () => Volatile.Read(ref _current)?.Models.Count ?? 0,
                "{model}",
                "Models the current set serves"
            );
            meter.CreateObservableGauge(
                "inference_models_refused",
                () => Volatile.Read(ref _current)?.Errors.Count ?? 0,
                "{model}",
                "Model files the current set refused (GET /api/v1/models says why)"
            );
        }

        await ReloadAsync(cancellationToken);
        if (models.Value.WatchForChanges)
        {
            // Polled, not an inotify watch: a watch on the directory dies with it (rm -rf; cp -r) and
            // follows a symlink to the old target when the link is swapped to a new one.
            _poll = time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _poll?.Dispose();
        _poll = null;
        return Task.CompletedTask;
    }

    public async Task<ModelSet> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadGate.WaitAsync(cancellationToken);
        try
        {
            var started = time.GetTimestamp();
            _attempted = ModelDirectoryState.Of(Directory);
            ModelSet set;
            try
            {
                // Off the caller's thread: loading is file and CPU work, never on the ingest path.
                set = await Task.Run(
                    () =>
                        WarmUp(
                            loader.Load(Directory, Interlocked.Increment(ref _generation), Features.Observation.Width)
                        ),
                    cancellationToken
                );
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LastReloadError = $"{ex.GetType().Name}: {LogText.Quote(ex.Message)}";
                ModelCatalogLog.ReloadFailed(logger, ex);
                throw new ModelReloadException(LastReloadError, ex);
            }

            if (Volatile.Read(ref _current) is { } serving && Regression(set, serving) is { } regression)
            {
                // A directory gone, unreadable or half copied: keep what serves, and say why.
                set.Dispose();
                LastReloadError = regression;
                ModelCatalogLog.ReloadRefused(logger, Directory, regression);
                throw new ModelReloadException(regression);
            }

            var previous = Interlocked.Exchange(ref _current, set);
            previous?.Dispose();
            LastReloadError = null;
            foreach (var error in set.Errors)
            {
                ModelCatalogLog.ModelRefused(logger, error.Name, LogText.Quote(error.Path), error.Reason);
            }

            var elapsed = time.GetElapsedTime(started);
            _loadTime?.Record(elapsed.TotalSeconds);
            ModelCatalogLog.ModelsLoaded(
                logger,
                set.Generation,
                set.Models.Count,
                Directory,
                elapsed.TotalMilliseconds
            );
            return set;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>
    /// Why <paramref name="next"/> must not replace <paramref name="serving"/>, or null: its directory
    /// is missing, or files that <paramref name="serving"/> loaded are gone (deleted, unreadable, a
    /// deploy half done). A file that is there but broken is not a regression: that set is installed
    /// and the file refused by name, as a reload always did.
    /// </summary>
    internal static string? Regression(ModelSet next, ModelSet serving)
    {
        if (next.Errors.FirstOrDefault(e => e.Name == "*") is { } missing)
        {
            return $"{missing.Reason}: {missing.Path}; the {serving.Models.Count} models of generation "
                + $"{serving.Generation} keep serving";
        }

        var vanished = next
            .Errors.Where(e =>
                serving.Models.ContainsKey(e.Name) && e.Reason.StartsWith("file not found", StringComparison.Ordinal)
            )
            .ToList();
        return vanished.Count == 0 || next.Models.Count >= serving.Models.Count
            ? null
            : $"the new set would serve {next.Models.Count} of the {serving.Models.Count} models serving now: "
                + string.Join(", ", vanished.Select(e => $"{e.Name} ({e.Path})"))
                + $" not found; the models of generation {serving.Generation} keep serving";
    }

    public void Dispose()
    {
        _poll?.Dispose();
        Interlocked.Exchange(ref _current, null)?.Dispose();
        _reloadGate.Dispose();
    }

    // One forward per model and batch shape in use, so the first real call pays no lazy init. A model
    // that cannot run its warm-up forward is refused like a file that cannot be read.
    private ModelSet WarmUp(ModelSet set)
    {
        var models = new Dictionary<string, LoadedModel>(StringComparer.Ordinal);
        var errors = new List<ModelLoadError>(set.Errors);
        foreach (var (name, model) in set.Models)
        {
            try
            {
                foreach (var batch in new[] { 1, inference.Value.MaxBatchSize })
                {
                    using var scope = NewDisposeScope();
                    using var mode = inference_mode();
                    _ = model.Network.call(zeros([batch, model.Info.InputWidth], model.ComputeType).to(model.Device));
                }

                models[name] = model;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                model.Dispose();
                errors.Add(
                    new ModelLoadError(
                        name,
                        model.Info.Path,
                        $"warm-up forward failed: {ex.GetType().Name}: {LogText.Quote(ex.Message)}"
                    )
                );
            }
        }

        return models.Count == set.Models.Count
            ? set
            : new ModelSet(set.Generation, set.Directory, models, errors) { Background = set.Background };
    }

    /// <summary>
    /// One look at the directory: a state other than the last reload's, unchanged for
    /// <c>Models:ReloadDebounce</c> (a copy in progress changes it on every look), starts a reload.
    /// A refused reload is not retried until the state changes again (the directory comes back).
    /// </summary>
    private void Poll()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }

        try
        {
            var state = ModelDirectoryState.Of(Directory);
            if (state != _seen)
            {
                _seen = state;
                _seenSince = time.GetTimestamp();
                if (models.Value.ReloadDebounce > TimeSpan.Zero)
                {
                    return;
                }
            }

            if (state != _attempted && time.GetElapsedTime(_seenSince) >= models.Value.ReloadDebounce)
            {
                ReloadInBackgroundAsync().GetAwaiter().GetResult();
            }
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (ModelReloadException)
        {
            // Logged, and shown by /health and /api/v1/models until a reload succeeds.
        }
        catch (Exception ex)
        {
            ModelCatalogLog.ReloadFailed(logger, ex);
        }
    }
}
