using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Worker.DemoFeed;

/// <summary>The embedded demo market (<c>DemoFeed:*</c>; <c>--demo-feed true|false</c>).</summary>
public sealed class DemoFeedOptions
{
    public const string Section = "DemoFeed";

    /// <summary>Unset: on for the embedded worker, off for <c>broker</c> and real clusters.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Every symbol the seed's documents and clients use (AAPL, MSFT, GOOGL, AMZN, TSLA), plus NVDA and
    /// SPY.</summary>
    [MinLength(1)]
    public string[] Symbols { get; set; } = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "SPY"];

    /// <summary>Wall-clock pace of the feed, all symbols together; 0 runs as fast as the broker takes it.</summary>
    [Range(0.0, 1_000_000.0)]
    public double TicksPerSecond { get; set; } = 300;

    /// <summary>
    /// The feed sends what is due in bursts this far apart, as market-data gateways batch. A broker
    /// stores each burst as one message set per partition instead of one per round of ticks; the
    /// embedded broker's cost per fetch grows with the message sets a partition holds
    /// (docs/PERFORMANCE.md). <c>00:00:00</c> sends each round as soon as it is due.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:01", ErrorMessage = "DemoFeed:BurstInterval must be between 0 and 1 second.")]
    public TimeSpan BurstInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Publish the rule table's regime updates beside the ticks. Unset: yes, except beside the <c>regimes</c>
    /// service (<c>dotnet run --project src/Worker -- regimes</c>), which publishes them itself; set it
    /// to false wherever a regime service runs (compose does).
    /// </summary>
    public bool? PublishRegimes { get; set; }

    public int Seed { get; set; } = 42;

    /// <summary>Simulated time of the first tick.</summary>
    public DateTimeOffset Start { get; set; } = new(2026, 1, 5, 14, 30, 0, TimeSpan.Zero);

    /// <summary>Simulated time between two ticks of one symbol.</summary>
    [TimeSpanRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan SimulatedTickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop after this many ticks per symbol; 0 runs until the host stops.</summary>
    [Range(0, long.MaxValue)]
    public long MaxTicksPerSymbol { get; set; }
}
