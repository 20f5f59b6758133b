using System.Globalization;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Contracts.Validation;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>Why a record is refused: the dead-letter reason code and a detail for a person.</summary>
public readonly record struct Rejection(string Reason, string Detail);

/// <summary>A tick that passed the rules: its normalised symbol and event time.</summary>
public readonly record struct AcceptedTick(string Symbol, long TimeMs, double Price, double Size);

/// <summary>A regime update that passed the rules.</summary>
public readonly record struct AcceptedRegime(string Symbol, long TimeMs, RegimeState Regime);

/// <summary>
/// The input rules, pure: a decoded record and its partition's event-time reference in, the accepted value or the
/// reason it is dead-lettered out. One rule set for both topics (the symbol, <c>Features:MinEventTime</c>,
/// <c>Features:MaxEventTimeSkew</c>) around each topic's own values (a tick's price and size, an update's
/// probabilities). Lateness depends on the symbol's bars and is said by <see cref="LateFirstTick"/> and
/// <see cref="LateForBar"/>.
/// </summary>
public sealed class RecordRules
{
    /// <summary>Prices outside this range are refused: inside it no portfolio or feature arithmetic
    /// overflows.</summary>
    public const double MinPrice = 1e-9,
        MaxPrice = 1e12,
        MaxSize = 1e15;

    private readonly long _minEventMs;
    private readonly long _skewMs;
    private readonly bool _wallClock;
    private readonly CoarseWallClock _clock;

    public RecordRules(IOptions<FeatureOptions> features, TimeProvider time)
    {
        _clock = CoarseWallClock.For(time);
        _minEventMs = features.Value.MinEventTime.ToUnixTimeMilliseconds();
        _skewMs = (long)features.Value.MaxEventTimeSkew.TotalMilliseconds;
        _wallClock = features.Value.EventTimeReference != EventTimeReference.Watermark;
    }

    /// <summary>Checks a tick against its partition's event time <paramref name="watermarkMs"/>.</summary>
    public Rejection? Check(MarketTick tick, long watermarkMs, out AcceptedTick accepted)
    {
        accepted = default;
        const string Invalid = DeadLetterReasons.InvalidTick;
        if (SymbolRule(Invalid, tick.symbol, out var symbol) is { } badSymbol)
        {
            return badSymbol;
        }

        if (
            !double.IsFinite(tick.price)
            || tick.price is < MinPrice or > MaxPrice
            || !double.IsFinite(tick.size)
            || tick.size is < 0 or > MaxSize
        )
        {
            return new(
                Invalid,
                Invariant($"price {tick.price} must be finite and in [{MinPrice}, {MaxPrice}], size ")
                    + Invariant($"{tick.size} finite and in [0, {MaxSize}]")
            );
        }

        if (TimeRule("tick", Invalid, symbol, tick.event_time, watermarkMs, out var timeMs) is { } badTime)
        {
            return badTime;
        }

        accepted = new AcceptedTick(symbol, timeMs, tick.price, tick.size);
        return null;
    }

    /// <summary>Checks a regime update against <paramref name="referenceMs"/>, the later of its partition's
    /// event time and regime frontier (updates are read ahead of ticks).</summary>
    public Rejection? Check(RegimeUpdate update, long referenceMs, out AcceptedRegime accepted)
    {
        accepted = default;
        const string Invalid = DeadLetterReasons.InvalidRegime;
        if (SymbolRule(Invalid, update.symbol, out var symbol) is { } badSymbol)
        {
            return badSymbol;
        }

        if (
            RegimeState.TryCreate(update.bull, update.bear, update.sideways, update.entropy, out var problem)
            is not { } regime
        )
        {
            return new(Invalid, $"{symbol}: {problem}");
        }

        if (TimeRule("regime update", Invalid, symbol, update.event_time, referenceMs, out var timeMs) is { } badTime)
        {
            return badTime;
        }

        accepted = new AcceptedRegime(symbol, timeMs, regime);
        return null;
    }

    /// <summary>The latest event time accepted on a partition whose event time is <paramref name="watermarkMs"/>:
    /// <c>Features:MaxEventTimeSkew</c> ahead of it (or of the wall clock, when that is later and counts).</summary>
    public long FutureBound(long watermarkMs)
    {
        var reference = _wallClock ? Math.Max(watermarkMs, _clock.NowMs()) : watermarkMs;
        return reference == long.MinValue ? long.MaxValue : reference + _skewMs;
    }

    /// <summary>The first tick of a symbol, for a bar its partition's event time has already closed.</summary>
    public static Rejection LateFirstTick(string symbol, DateTime eventTime, long watermarkMs) =>
        new(
            DeadLetterReasons.LateTick,
            Invariant($"first tick of {symbol} at {eventTime:O} is for a bar the partition's event time ")
                + Invariant($"({DateTimeOffset.FromUnixTimeMilliseconds(watermarkMs):O}) has already closed")
        );

    /// <summary>A tick that would open a bar of <paramref name="symbol"/> the partition's event time has already
    /// closed, while the book is kept (its progress has gone past that bar).</summary>
    public static Rejection LateForPartition(string symbol, DateTime eventTime, long watermarkMs) =>
        new(
            DeadLetterReasons.LateTick,
            Invariant($"tick of {symbol} at {eventTime:O} would open a bar the partition's event time ")
                + Invariant($"({DateTimeOffset.FromUnixTimeMilliseconds(watermarkMs):O}) has already closed, and ")
                + "the partition has reported to the fleet's book that every bar ending there is decided"
        );

    /// <summary>A tick for a bar of <paramref name="symbol"/> that closed, or older than its open bar (bars never
    /// reopen).</summary>
    public static Rejection LateForBar(string symbol, DateTime eventTime, long timeMs, BarBuilder bars) =>
        new(
            DeadLetterReasons.LateTick,
            bars.ClosedUntilMs > timeMs
                ? Invariant($"tick at {eventTime:O} is for a bar of {symbol} that closed at ")
                    + Invariant($"{DateTimeOffset.FromUnixTimeMilliseconds(bars.ClosedUntilMs):O}")
                : Invariant($"tick at {eventTime:O} is older than the open bar of {symbol}, which starts at ")
                    + Invariant($"{DateTimeOffset.FromUnixTimeMilliseconds(bars.OpenBar.StartMs):O}")
        );

    /// <summary>The first rule both topics share: a symbol the stream can key state by.</summary>
    private static Rejection? SymbolRule(string invalid, string rawSymbol, out string symbol)
    {
        if (SymbolName.Normalise(rawSymbol) is { } normalised)
        {
            symbol = normalised;
            return null;
        }

        symbol = "";
        return new(invalid, $"symbol '{LogText.Quote(rawSymbol)}' must be {SymbolName.Rule}");
    }

    /// <summary>The last rules both topics share, after each topic's own values: the oldest and the newest event
    /// time accepted.</summary>
    private Rejection? TimeRule(
        string what,
        string invalid,
        string symbol,
        DateTime eventTime,
        long referenceMs,
        out long timeMs
    )
    {
        timeMs = new DateTimeOffset(eventTime, TimeSpan.Zero).ToUnixTimeMilliseconds();
        if (timeMs < _minEventMs)
        {
            return new(
                invalid,
                Invariant($"{what} of {symbol} at {eventTime:O} is before Features:MinEventTime ")
                    + Invariant($"({DateTimeOffset.FromUnixTimeMilliseconds(_minEventMs):O})")
            );
        }

        return timeMs > FutureBound(referenceMs)
            ? new(DeadLetterReasons.FutureEvent, FutureDetail(what, symbol, eventTime, referenceMs))
            : null;
    }

    private string FutureDetail(string what, string symbol, DateTime eventTime, long referenceMs) =>
        Invariant($"{what} of {symbol} at {eventTime:O} is more than Features:MaxEventTimeSkew ")
        + Invariant($"({TimeSpan.FromMilliseconds(_skewMs)}) ahead of ")
        + (_wallClock ? "the later of the partition's event time and the wall clock" : "the partition's event time")
        + " ("
        + (
            referenceMs == long.MinValue
                ? "none yet"
                : DateTimeOffset.FromUnixTimeMilliseconds(referenceMs).ToString("O", CultureInfo.InvariantCulture)
        )
        + ")";

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
