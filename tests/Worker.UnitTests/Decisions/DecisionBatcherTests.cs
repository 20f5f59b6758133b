using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Engine.UnitTests.Inference;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;
using Inference.Streaming.Worker.UnitTests.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.UnitTests.Decisions;

/// <summary>
/// The micro-batcher alone, on a fake clock, with PyTorch's fixture models and a fake decision
/// sink: a batch goes when it is full, or when its first bar has waited Inference:MaxBatchDelay,
/// and not before; a bar no model can decide is dead-lettered as decision-failed.
/// </summary>
public sealed class DecisionBatcherTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 14, 30, 0, TimeSpan.Zero));
    private readonly FakeDecisionSink _published = new();
    private readonly FakeDeadLetterSink _deadLetters = new();
    private readonly InferenceOptions _inference = new()
    {
        Device = "cpu",
        MaxBatchSize = 4,
        MaxBatchDelay = TimeSpan.FromMilliseconds(500),
    };
    private FixtureCatalog? _catalog;
    private DecisionBatcher? _batcher;
    private FakePositionsSink? _positions;

    public async Task InitializeAsync()
    {
        _catalog = new FixtureCatalog(
            ModelFixtures.Loader().Load(ModelFixtures.Directory, generation: 1, Observation.Width)
        );
        var inference = Options.Create(_inference);
        var risk = Options.Create(new RiskOptions());
        var rules = new DecisionFunction(new MetaControllerWeights(), new RiskChecker(risk), inference);
        var assembler = new DecisionAssembler(
            rules,
            _time,
            Options.Create(new FeatureOptions()),
            inference,
            risk,
            TopicRegimes.Instance
        );
        var metrics = new PipelineMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _batcher = new DecisionBatcher(
            _catalog,
            assembler,
            _published,
            _deadLetters,
            metrics,
            inference,
            _time,
            NullLogger<DecisionBatcher>.Instance,
            new ExperimentArms(Options.Create(new ExperimentOptions())),
            Gate(risk),
            new CpuAccounting(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>())
        );
        await _batcher.StartAsync(CancellationToken.None);
    }

    /// <summary>The gate without a sector map: every bar passes straight through.</summary>
    private BookGate Gate(IOptions<RiskOptions> risk)
    {
        var book = new PositionsBook(SectorMap.Empty, 60_000, 86_400_000, []);
        _positions = new FakePositionsSink(book);
        return new BookGate(
            book,
            _positions,
            risk,
            _time,
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            NullLogger<BookGate>.Instance
        );
    }

    public async Task DisposeAsync()
    {
        if (_batcher is not null)
        {
            await _batcher.StopAsync(CancellationToken.None);
            _batcher.Dispose();
        }

        _catalog?.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task AFullBatchGoesAtOnceWithoutTheClockMoving()
    {
        var decided = Enumerable
            .Range(0, 4)
            .Select(i => _batcher!.Enqueue(Request($"S{i}"), CancellationToken.None))
            .ToList();

        await Task.WhenAll(decided).WaitAsync(Deadline);

        Assert.Equal(4, _published.Published.Count);
        Assert.Equal(["S0", "S1", "S2", "S3"], _published.Published.Select(p => p.Decision.symbol));
        // The fake clock never moved: no bar waited for the batch.
        Assert.All(_published.Published, p => Assert.Equal(0, p.Forensics.timings.queue_ms));
    }

    [Fact]
    public async Task APartialBatchWaitsForTheMaxBatchDelayOnTheClock()
    {
        var first = _batcher!.Enqueue(Request("AAPL"), CancellationToken.None);
        var second = _batcher.Enqueue(Request("MSFT"), CancellationToken.None);

        // Real time passes, the fake clock does not: the batch is not full, so nothing goes.
        await Task.Delay(200);
        Assert.False(first.IsCompleted);
        Assert.Empty(_published.Published);

        await AdvanceUntilAsync(Task.WhenAll(first, second));

        Assert.Equal(["AAPL", "MSFT"], _published.Published.Select(p => p.Decision.symbol));
        Assert.All(
            _published.Published,
            p =>
                Assert.True(
                    p.Forensics.timings.queue_ms >= _inference.MaxBatchDelay.TotalMilliseconds,
                    $"queued {p.Forensics.timings.queue_ms} ms"
                )
        );
    }

    [Fact]
    public async Task WithNoBatchDelayALoneBarGoesWithoutTheClockMoving()
    {
        await _batcher!.StopAsync(CancellationToken.None);
        _batcher.Dispose();
        _catalog!.Dispose();
        _inference.MaxBatchDelay = TimeSpan.Zero;
        await InitializeAsync();

        var lone = _batcher!.Enqueue(Request("AAPL"), CancellationToken.None);

        // The fake clock never moves: the default (0) sends what is queued as soon as the batcher is free.
        await lone.WaitAsync(Deadline);
        var published = Assert.Single(_published.Published);
        Assert.Equal(0, published.Forensics.timings.queue_ms);
    }

    /// <summary>
    /// A partition's progress report with no bar behind it (the book's progress from a tick that closed nothing) goes
    /// after the batch delay, like a lone bar. It waited for the next bar or report: with the ingest thread in a
    /// checkpoint's drain, which waits for this report's acknowledgement, none came, and every checkpoint of a worker
    /// with a sector map stalled the ingest thread for the drain's whole 5 s timeout.
    /// </summary>
    [Fact]
    public async Task AProgressReportAloneGoesAfterTheBatchDelay()
    {
        _batcher!.Progress(
            new PartitionState(2, 60_000, PaperPortfolio.DefaultInitialCapital),
            120_000,
            new TrackedRecord(9),
            CancellationToken.None
        );

        var deadline = DateTime.UtcNow + Deadline;
        while (_positions!.Progressed.Count == 0 && DateTime.UtcNow < deadline)
        {
            _time.Advance(_inference.MaxBatchDelay);
            await Task.Delay(50);
        }

        Assert.Equal([(2, 120_000L)], _positions.Progressed);
    }

    [Fact]
    public async Task ABarNoModelCanDecideIsDeadLetteredAsDecisionFailedAndItsTaskFails()
    {
        _catalog!.Empty = true;
        var tracked = new TrackedRecord(41);
        var decided = _batcher!.Enqueue(Request("AAPL", tracked), CancellationToken.None);

        await Assert.ThrowsAsync<DecisionFailedException>(() => AdvanceUntilAsync(decided));

        var letter = Assert.Single(_deadLetters.Letters);
        Assert.Equal(DeadLetterReasons.DecisionFailed, letter.Reason);
        Assert.Equal(41, letter.Offset);
        Assert.Empty(_published.Published);
    }

    /// <summary>Moves the fake clock on by the batch delay until <paramref name="task"/> completes (the batcher may not
    /// be waiting yet when the clock first moves).</summary>
    private async Task AdvanceUntilAsync(Task task)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            _time.Advance(_inference.MaxBatchDelay);
            await Task.WhenAny(task, Task.Delay(50));
        }

        await task.WaitAsync(TimeSpan.Zero);
    }

    private static DecisionRequest Request(string symbol, TrackedRecord? source = null)
    {
        var state = new SymbolState(symbol, 60_000, PaperPortfolio.DefaultInitialCapital);
        var bar = new Bar(0, 60_000, 100, 101, 99, 100, 1_000, 10);
        var features = state.Observe(bar);
        var weights = new MetaControllerWeights().WeightsFor(RegimeState.Prior);
        var tracked = source ?? new TrackedRecord(0);
        return new DecisionRequest
        {
            Symbol = state,
            Partition = new PartitionState(0, 60_000, PaperPortfolio.DefaultInitialCapital),
            Bar = bar,
            Features = features,
            Regime = RegimeState.Prior,
            Weights = weights,
            Strategy = SelectionStrategy.Argmax,
            Plan = DecisionPolicy.Plan(SelectionStrategy.Argmax, weights),
            Input = new InputPosition
            {
                topic = "market-ticks",
                partition = 0,
                offset = tracked.Offset,
            },
            ConsumedAt = 0,
            Source = DecisionRequest.Hold(tracked),
        };
    }
}
