using Inference.Streaming.Engine.Regimes;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Regimes;

/// <summary>
/// The regime detector in use (<c>Regimes:Detector</c> from <c>Regimes:Directory</c>), loaded at start
/// (a detector that cannot be loaded stops the start with its reason) and hot-reloaded when the
/// directory changes: a file that fails its SHA-256 or its checks is refused by name and the
/// previous detector goes on. Only loaded when something uses it (the worker with
/// <c>Regimes:Source Detector</c>, the <c>regimes</c> service).
/// </summary>
public sealed class RegimeDetectorCatalog(
    IOptions<RegimeOptions> options,
    TimeProvider time,
    ILogger<RegimeDetectorCatalog> logger
) : IDisposable
{
    private readonly Lock _gate = new();
    private IRegimeDetector? _current;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;

    /// <summary>The detector in use; loads it on first use.</summary>
    public IRegimeDetector Current => Volatile.Read(ref _current) ?? Load();

    /// <summary>Why the last reload was refused; null after a good one.</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>Loads the detector now and starts watching its directory.</summary>
    /// <exception cref="RegimeDetectorLoadException">The configured detector cannot be loaded.</exception>
    public IRegimeDetector Load()
    {
        lock (_gate)
        {
            if (_current is { } loaded)
            {
                return loaded;
            }

            var detector = RegimeDetectorFiles.Load(options.Value.Directory, options.Value.Detector);
            Volatile.Write(ref _current, detector);
            RegimesLog.RegimeDetectorLoaded(
                logger,
                detector.Info.Name,
                detector.Info.Version,
                detector.Info.Sha256 ?? "-"
            );
            Watch();
            return detector;
        }
    }

    /// <summary>Reloads the detector; on failure the previous one stays and the reason is logged and kept.</summary>
    public bool Reload()
    {
        try
        {
            var detector = RegimeDetectorFiles.Load(options.Value.Directory, options.Value.Detector);
            var previous = Interlocked.Exchange(ref _current, detector);
            LastReloadError = null;
            if (previous?.Info != detector.Info)
            {
                RegimesLog.RegimeDetectorLoaded(
                    logger,
                    detector.Info.Name,
                    detector.Info.Version,
                    detector.Info.Sha256 ?? "-"
                );
            }

            return true;
        }
        catch (RegimeDetectorLoadException ex)
        {
            LastReloadError = ex.Message;
            RegimesLog.RegimeDetectorRefused(logger, ex.Detector, ex.Message);
            return false;
        }
    }

    private void Watch()
    {
        var directory = options.Value.Directory;
        if (!options.Value.WatchForChanges || _watcher is not null || !System.IO.Directory.Exists(directory))
        {
            return;
        }

        _watcher = new FileSystemWatcher(directory)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Changed += OnChanged;
        _watcher.Created += OnChanged;
        _watcher.Deleted += OnChanged;
        _watcher.Renamed += OnChanged;
        _watcher.EnableRaisingEvents = true;
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        // Writing a file and its manifest raises several events: reload once, when the directory is quiet.
        lock (_gate)
        {
            _debounce?.Dispose();
            _debounce = time.CreateTimer(_ => Reload(), null, options.Value.ReloadDebounce, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
    }
}
