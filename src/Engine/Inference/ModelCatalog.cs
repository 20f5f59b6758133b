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
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private ModelSet? _current;
    private long _generation;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;

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
        if (models.Value.WatchForChanges && System.IO.Directory.Exists(Directory))
        {
            _watcher = new FileSystemWatcher(Directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter =
                    NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watcher.Changed += OnDirectoryChanged;
            _watcher.Created += OnDirectoryChanged;
            _watcher.Deleted += OnDirectoryChanged;
            _watcher.Renamed += OnDirectoryChanged;
            _watcher.EnableRaisingEvents = true;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _watcher?.Dispose();
        _watcher = null;
        _debounce?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<ModelSet> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadGate.WaitAsync(cancellationToken);
        try
        {
            var started = time.GetTimestamp();
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

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
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

        return models.Count == set.Models.Count ? set : new ModelSet(set.Generation, set.Directory, models, errors);
    }

    private void OnDirectoryChanged(object sender, FileSystemEventArgs e)
    {
        // Copying a checkpoint raises many events: reload once, after the directory is quiet.
        var debounce = models.Value.ReloadDebounce;
        _debounce?.Dispose();
        _debounce = time.CreateTimer(_ => _ = ReloadInBackgroundAsync(), null, debounce, Timeout.InfiniteTimeSpan);
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
