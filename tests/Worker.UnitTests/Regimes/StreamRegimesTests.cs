using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Engine.Symbols;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Regimes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.UnitTests.Regimes;

public sealed class StreamRegimesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("stream-regimes-").FullName;
    private readonly FakeTimeProvider _time = new();

    public StreamRegimesTests()
    {
        foreach (var file in Directory.GetFiles(RepositoryRoot.RegimeDetectors))
        {
            File.Copy(file, Path.Combine(_directory, Path.GetFileName(file)));
        }
    }

    [Fact]
    public void InTopicModeNothingIsDetectedAndTheFingerprintIsTheOneBeforeDetectors()
    {
        var (regimes, catalog) = Create(RegimeSource.Topic);
        using (catalog)
        {
            var symbol = Symbol(bars: 80);
            var before = symbol.Regime;

            Assert.Null(regimes.Detect(symbol));
            Assert.Equal(before, symbol.Regime);
            Assert.Null(regimes.Current);
            Assert.Equal(Assembler(null).ConfigFingerprint, Assembler(regimes).ConfigFingerprint);
        }
    }

    [Fact]
    public void InDetectorModeABarMovesTheRegimeAsTheBatchCodeDoesAndTheFingerprintNamesTheDetector()
    {
        var (regimes, catalog) = Create(RegimeSource.Detector);
        using (catalog)
        {
            var bars = Bars(80);
            var symbol = new SymbolFeatures("AAA", 60_000, 100_000);
            foreach (var bar in bars)
            {
                symbol.Observe(bar);
                Assert.Equal("probabilistic", regimes.Detect(symbol)!.Name);
            }

            var expected = RegimeSeries.Run(catalog.Current, bars)[^1];
            Assert.Equal(expected, symbol.Regime);
            Assert.NotEqual(RegimeState.Prior, symbol.Regime);

            var assembler = Assembler(regimes);
            var rules = new RegimeDetectorInfo("rules", "1.0", null);
            Assert.NotEqual(Assembler(null).ConfigFingerprint, assembler.ConfigFingerprint);
            Assert.Equal(assembler.FingerprintFor(catalog.Current.Info), assembler.ConfigFingerprint);
            Assert.NotEqual(assembler.FingerprintFor(rules), assembler.ConfigFingerprint);
        }
    }

    [Fact]
    public void AnAlteredFileIsRefusedByNameAndThePreviousDetectorGoesOnUntilAGoodOneArrives()
    {
        var (_, catalog) = Create(RegimeSource.Detector);
        using (catalog)
        {
            var loaded = catalog.Load();
            var file = Path.Combine(_directory, "probabilistic.json");
            var original = File.ReadAllText(file);

            File.WriteAllText(file, original.Replace("\"temperature\": 0.2", "\"temperature\": 0.3"));
            Assert.False(catalog.Reload());
            Assert.Contains("does not match the manifest", catalog.LastReloadError, StringComparison.Ordinal);
            Assert.Same(loaded, catalog.Current);

            // Refitted: a new file with its hash in the manifest.
            var parameters = ((GaussianRegimeDetector)loaded).Parameters;
            parameters.Version = "2";
            var (_, sha256) = RegimeDetectorFiles.Write(_directory, parameters);
            Assert.True(catalog.Reload());
            Assert.Null(catalog.LastReloadError);
            Assert.Equal(("2", sha256), (catalog.Current.Info.Version, catalog.Current.Info.Sha256));
        }
    }

    [Fact]
    public async Task AFileWrittenIntoTheWatchedDirectoryIsLoadedOnceTheDirectoryIsQuiet()
    {
        var (_, catalog) = Create(RegimeSource.Detector, watch: true);
        using (catalog)
        {
            var parameters = ((GaussianRegimeDetector)catalog.Load()).Parameters;
            parameters.Version = "3";
            var (_, sha256) = RegimeDetectorFiles.Write(_directory, parameters);

            // The watcher's events arrive on their own thread; the debounce runs on the fake clock.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (catalog.Current.Info.Version != "3" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                _time.Advance(TimeSpan.FromMilliseconds(500));
            }

            Assert.Equal(("3", sha256), (catalog.Current.Info.Version, catalog.Current.Info.Sha256));
        }
    }

    [Fact]
    public void AMissingDetectorStopsTheStartWithItsName()
    {
        var (regimes, catalog) = Create(RegimeSource.Detector, detector: "oracle");
        using (catalog)
        {
            var refused = Assert.Throws<RegimeDetectorLoadException>(regimes.EnsureLoaded);
            Assert.Equal("oracle", refused.Detector);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (StreamRegimes Regimes, RegimeDetectorCatalog Catalog) Create(
        RegimeSource source,
        string detector = "probabilistic",
        bool watch = false
    )
    {
        var options = Options.Create(
            new RegimeOptions
            {
                Source = source,
                Detector = detector,
                Directory = _directory,
                WatchForChanges = watch,
            }
        );
        var catalog = new RegimeDetectorCatalog(options, _time, NullLogger<RegimeDetectorCatalog>.Instance);
        return (new StreamRegimes(options, catalog), catalog);
    }

    private DecisionAssembler Assembler(StreamRegimes? regimes)
    {
        var inference = Options.Create(new InferenceOptions());
        var risk = Options.Create(new RiskOptions());
        return new DecisionAssembler(
            new DecisionFunction(new MetaControllerWeights(), new RiskChecker(risk), inference),
            _time,
            Options.Create(new FeatureOptions()),
            inference,
            risk,
            (IRegimeDetectorSource?)regimes ?? TopicRegimes.Instance
        );
    }

    private static SymbolFeatures Symbol(int bars)
    {
        var symbol = new SymbolFeatures("AAA", 60_000, 100_000);
        foreach (var bar in Bars(bars))
        {
            symbol.Observe(bar);
        }

        return symbol;
    }

    private static List<Bar> Bars(int count)
    {
        var random = new Random(3);
        var close = 100.0;
        var bars = new List<Bar>();
        for (var i = 0; i < count; i++)
        {
            var open = close;
            close *= Math.Exp((i < count / 2 ? 0.01 : -0.02) + (0.02 * ((random.NextDouble() * 2) - 1)));
            bars.Add(
                new Bar(
                    i * 60_000L,
                    (i + 1) * 60_000L,
                    open,
                    Math.Max(open, close),
                    Math.Min(open, close),
                    close,
                    10,
                    5
                )
            );
        }

        return bars;
    }
}
