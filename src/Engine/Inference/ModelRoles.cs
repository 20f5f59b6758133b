using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.Inference;

/// <summary>The role a model set plays in an experiment.</summary>
public enum ModelRole
{
    Champion,
    Challenger,
}

/// <summary>
/// The champion and, when <c>Models:Challenger:Directory</c> is set, the challenger: two catalogs, each
/// loaded, warmed and hot-reloaded on its own, and which of them is champion. <see cref="Promote"/> swaps
/// the roles atomically, as a reload swaps a set: a caller that leased both (<see cref="AcquireBoth"/>)
/// keeps the pair it saw, the next caller sees the new pair. As an <see cref="IModelCatalog"/> it is the
/// champion, so every reader that knows of no experiment (predict, health, the batcher's live rows)
/// follows a promotion.
/// </summary>
public sealed class ModelRoles : IChampionChallenger, IHostedService, IDisposable
{
    private readonly ModelCatalog? _second;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Counter<long>? _promotions;
    private readonly object _promoteGate = new();
    private Assignment _roles;

    public ModelRoles(
        ModelCatalog champion,
        ModelDirectoryLoader loader,
        IOptions<ModelOptions> models,
        IOptions<InferenceOptions> inference,
        TimeProvider time,
        ILoggerFactory loggers,
        IMeterFactory? meters = null
    )
    {
        _time = time;
        _logger = loggers.CreateLogger<ModelRoles>();
        _promotions = meters
            ?.Create(ModelCatalog.MeterName)
            .CreateCounter<long>("inference_model_promotions", "{promotion}", "Champion/challenger swaps");
        if (models.Value.Challenger.Directory is { Length: > 0 } directory)
        {
            var options = models.Value;
            var challengerOptions = new ModelOptions
            {
                Directory = directory,
                MaxFileBytes = options.MaxFileBytes,
                WatchForChanges = options.WatchForChanges,
                ReloadDebounce = options.ReloadDebounce,
            };
            // No meter: the champion's catalog owns the model gauges; the challenger is described by
            // GET /api/v1/models.
            _second = new ModelCatalog(
                loader,
                Options.Create(challengerOptions),
                inference,
                time,
                loggers.CreateLogger<ModelCatalog>()
            );
        }

        _roles = new Assignment(champion, _second, 0, null);
    }

    /// <summary>The champion and challenger now, and how many promotions led here.</summary>
    public Assignment Current => Volatile.Read(ref _roles);

    /// <summary>True when a challenger directory is configured.</summary>
    public bool HasChallenger => _second is not null;

    public bool IsLoaded => Current.Champion.IsLoaded;

    public string? LastReloadError => Current.Champion.LastReloadError;

    public ModelLease Acquire() => Current.Champion.Acquire();

    /// <inheritdoc />
    public (ModelLease Champion, ModelLease? Challenger, long Generation) AcquireBoth()
    {
        var roles = Current;
        var champion = roles.Champion.Acquire();
        if (roles.Challenger is not { IsLoaded: true } challenger)
        {
            return (champion, null, roles.Generation);
        }

        try
        {
            return (champion, challenger.Acquire(), roles.Generation);
        }
        catch (ModelsNotReadyException)
        {
            return (champion, null, roles.Generation);
        }
    }

    /// <inheritdoc />
    public ModelLease AcquireChallenger() =>
        (Current.Challenger ?? throw new ModelsNotReadyException("No challenger is configured.")).Acquire();

    /// <summary>Reloads the champion's directory and then the challenger's; the champion's set is returned.</summary>
    public async Task<ModelSet> ReloadAsync(CancellationToken cancellationToken)
    {
        var roles = Current;
        var champion = await roles.Champion.ReloadAsync(cancellationToken);
        if (roles.Challenger is { } challenger)
        {
            await challenger.ReloadAsync(cancellationToken);
        }

        return champion;
    }

    /// <summary>
    /// Makes the challenger the champion and the champion the challenger, atomically; the same call again
    /// rolls back. Refused while the challenger has no loaded set or serves no model, so a promotion never
    /// leaves the stream without a champion.
    /// </summary>
    /// <exception cref="InvalidOperationException">No challenger is configured, or it serves no model.</exception>
    public Assignment Promote()
    {
        lock (_promoteGate)
        {
            var roles = Current;
            if (roles.Challenger is null)
            {
                throw new InvalidOperationException("No challenger is configured (Models:Challenger:Directory).");
            }

            if (Refusal(roles.Challenger) is { } refusal)
            {
                throw new InvalidOperationException(
                    $"The challenger ({roles.Challenger.Directory}) cannot be promoted: {refusal}."
                );
            }

            var promoted = new Assignment(roles.Challenger, roles.Champion, roles.Promotions + 1, _time.GetUtcNow())
            {
                Generation = roles.Generation,
            };
            Volatile.Write(ref _roles, promoted);
            _promotions?.Add(1);
            ModelCatalogLog.ModelsPromoted(
                _logger,
                promoted.Promotions,
                promoted.Champion.Directory,
                SetOf(promoted.Champion),
                roles.Champion.Directory,
                SetOf(roles.Champion)
            );
            return promoted;
        }
    }

    /// <summary>Why the challenger may not be promoted now (none configured, none loaded, none served); null when
    /// it may.</summary>
    public string? PromotionRefusal()
    {
        var roles = Current;
        return roles.Challenger is null ? "No challenger is configured (Models:Challenger:Directory)."
            : Refusal(roles.Challenger) is { } refusal
                ? $"The challenger ({roles.Challenger.Directory}) cannot be promoted: {refusal}."
            : null;
    }

    /// <summary>
    /// Applies a cluster-wide control state: <paramref name="promotions"/> promotions (odd: the configured
    /// challenger is champion) as of control generation <paramref name="generation"/>. Idempotent, and not
    /// refused while a set is loading: the command was checked where it was issued, and a starting instance
    /// applies it before its models have loaded.
    /// </summary>
    /// <exception cref="InvalidOperationException">The promotions are odd and no challenger is configured.</exception>
    public Assignment Apply(int promotions, long generation, DateTimeOffset? promotedAt)
    {
        lock (_promoteGate)
        {
            var roles = Current;
            var swap = (promotions - roles.Promotions) % 2 != 0;
            if (swap && roles.Challenger is null)
            {
                throw new InvalidOperationException(
                    "A promotion was applied across the fleet, but this instance has no challenger "
                        + "(Models:Challenger:Directory): it keeps its champion."
                );
            }

            var applied = swap
                ? new Assignment(roles.Challenger!, roles.Champion, promotions, promotedAt) { Generation = generation }
                : roles with
                {
                    Promotions = promotions,
                    PromotedAt = promotions == roles.Promotions ? roles.PromotedAt : promotedAt,
                    Generation = generation,
                };
            Volatile.Write(ref _roles, applied);
            if (swap)
            {
                _promotions?.Add(1);
                ModelCatalogLog.ModelsPromoted(
                    _logger,
                    applied.Promotions,
                    applied.Champion.Directory,
                    SetOf(applied.Champion),
                    roles.Champion.Directory,
                    SetOf(roles.Champion)
                );
            }

            return applied;
        }
    }

    /// <summary>Why a catalog's set may not become the champion: none loaded, or none served. A set that refused a
    /// file is promoted as a reload swaps it in (its other models serve, and <c>GET /api/v1/models</c> names the
    /// refusal), so a rollback to a champion that was serving is never refused.</summary>
    private static string? Refusal(ModelCatalog catalog)
    {
        try
        {
            using var lease = catalog.Acquire();
            return lease.Set.Models.Count == 0 ? "it serves no model" : null;
        }
        catch (ModelsNotReadyException)
        {
            return "its models have not loaded";
        }
    }

    private static string SetOf(ModelCatalog catalog)
    {
        try
        {
            using var lease = catalog.Acquire();
            return "generation " + lease.Set.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (ModelsNotReadyException)
        {
            return "none";
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) =>
        _second?.StartAsync(cancellationToken) ?? Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        _second?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public void Dispose() => _second?.Dispose();

    /// <summary>Which catalog plays which role; replaced whole by a promotion.</summary>
    /// <param name="Champion">The catalog whose decisions are live.</param>
    /// <param name="Challenger">The other catalog; null without <c>Models:Challenger:Directory</c>.</param>
    /// <param name="Promotions">Promotions since start; odd means the configured challenger is champion.</param>
    /// <param name="PromotedAt">When the last promotion happened; null before any.</param>
    public sealed record Assignment(
        ModelCatalog Champion,
        ModelCatalog? Challenger,
        int Promotions,
        DateTimeOffset? PromotedAt
    )
    {
        /// <summary>The control generation (<c>{Kafka:GroupId}-control</c>'s offset of the last command applied, plus
        /// one) this assignment was made under; 0 before any.</summary>
        public long Generation { get; init; }
    }
}
