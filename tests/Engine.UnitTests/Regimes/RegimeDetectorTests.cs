using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Tests;

namespace Inference.Streaming.Engine.UnitTests.Regimes;

public sealed class RegimeDetectorTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("regimes-").FullName;

    public static TheoryData<string> DetectorNames() => [RuleRegimeDetector.Name, GaussianRegimeDetector.DefaultName];

    [Theory]
    [MemberData(nameof(DetectorNames))]
    public void ABarsProbabilitiesAreTheSameWhetherTheSeriesEndsThereOrGoesOn(string name)
    {
        var detector = RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, name);
        var bars = Btc().Select(r => r.Bar).ToList();
        var full = RegimeSeries.Run(detector, bars);
        var moved = 0;
        foreach (var end in new[] { 9, 10, 20, 50, 51, 52, 300, 900, bars.Count - 2 })
        {
            var prefix = RegimeSeries.Run(detector, bars.Take(end + 1));
            Assert.Equal(full[..(end + 1)], prefix);
            moved += full[end] == RegimeState.Prior ? 0 : 1;
        }

        // Not a constant: the probabilities compared are ones the detector computed.
        Assert.True(moved >= 5, $"{name}: only {moved} of the compared bars left the prior");
        Assert.True(full.Distinct().Count() > 3, $"{name}: the series takes {full.Distinct().Count()} values");
    }

    [Fact]
    public void ChangingALaterBarChangesNothingBeforeIt()
    {
        var detector = RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName);
        var bars = Btc().Select(r => r.Bar).ToList();
        var shocked = bars.ToList();
        const int at = 700;
        shocked[at] = shocked[at] with { Close = shocked[at].Close * 0.5, Low = shocked[at].Close * 0.5 };

        var before = RegimeSeries.Run(detector, bars);
        var after = RegimeSeries.Run(detector, shocked);

        Assert.Equal(before[..at], after[..at]);
        Assert.NotEqual(before[at], after[at]);
    }

    [Fact]
    public void TheRuleTableGivesTheSeedsRows()
    {
        static RegimeState? Last(IEnumerable<double> closes) =>
            RegimeSeries.Run(RuleRegimeDetector.Instance, closes.Select(c => new Bar(0, 0, c, c, c, c, 1, 1))).Last();

        var rising = Enumerable.Range(0, 30).Select(i => 100 * Math.Pow(1.01, i));
        var falling = Enumerable.Range(0, 30).Select(i => 100 * Math.Pow(0.99, i));
        var flat = Enumerable.Range(0, 30).Select(i => 100 + (i % 2 == 0 ? 0.1 : -0.1));
        var wild = Enumerable.Range(0, 30).Select(i => 100 * Math.Pow(1.002, i) * (i % 2 == 0 ? 1.05 : 0.95));

        Assert.Equal(RegimeState.FromProbabilities(0.6, 0.1, 0.3), Last(rising));
        Assert.Equal(RegimeState.FromProbabilities(0.1, 0.6, 0.3), Last(falling));
        Assert.Equal(RegimeState.FromProbabilities(0.25, 0.25, 0.5), Last(flat));
        Assert.Equal(RegimeState.FromProbabilities(0.25, 0.25, 0.5), Last(wild));
        Assert.Equal(RegimeState.Prior, Last(rising.Take(9)));
    }

    [Fact]
    public void TheProbabilisticDetectorTellsARealBullMarketFromARealBearMarket()
    {
        var detector = RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName);
        var rows = Btc();
        var regimes = RegimeSeries.Run(detector, rows.Select(r => r.Bar));
        // 2020-10-15 to 2021-01-08: BTC rose from 11,500 to 40,000; 2018-11-15 to 2018-12-15: it fell by half.
        var bull = Mean(rows, regimes, "2020-10-15", "2021-01-08");
        var bear = Mean(rows, regimes, "2018-11-15", "2018-12-15");

        Assert.True(bull.Bull > 0.6 && bull.Bull > bull.Bear, $"bull run: {bull}");
        Assert.True(bear.Bear > 0.6 && bear.Bear > bear.Bull, $"bear run: {bear}");
    }

    [Fact]
    public void TheFitRecoversTheSimulatorsRegimesBetterThanTheRuleTable()
    {
        var (bars, labels) = SimulatedPath(seed: 4242, count: 3000);
        var (parameters, candidates) = GaussianRegimeFit.Fit(bars, labels, "test");
        var fitted = new GaussianRegimeDetector(parameters, null);
        var (test, truth) = SimulatedPath(seed: 99, count: 1500);

        var probabilistic = RegimeScores.Of(RegimeSeries.Run(fitted, test), truth, 60);
        var rules = RegimeScores.Of(RegimeSeries.Run(RuleRegimeDetector.Instance, test), truth, 60);

        Assert.Equal(2 * GaussianRegimeFit.Temperatures.Length * GaussianRegimeFit.Floors.Length, candidates.Count);
        Assert.True(probabilistic.LogLoss < rules.LogLoss, $"log-loss {probabilistic.LogLoss} vs {rules.LogLoss}");
        Assert.True(probabilistic.MacroF1 > rules.MacroF1, $"macro-F1 {probabilistic.MacroF1} vs {rules.MacroF1}");
        Assert.True(probabilistic.FlipsPer100 < rules.FlipsPer100, $"flips {probabilistic.FlipsPer100}");
    }

    [Fact]
    public void AParameterFileRoundTripsAndOneThatDoesNotMatchItsManifestIsRefusedByName()
    {
        var shipped = (GaussianRegimeDetector)
            RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName);
        var (path, sha256) = RegimeDetectorFiles.Write(_scratch, shipped.Parameters);
        var loaded = RegimeDetectorFiles.Load(_scratch, GaussianRegimeDetector.DefaultName);
        var bars = Btc().Take(200).Select(r => r.Bar).ToList();

        Assert.Equal(sha256, loaded.Info.Sha256);
        Assert.Equal(RegimeSeries.Run(shipped, bars), RegimeSeries.Run(loaded, bars));

        File.AppendAllText(path, " ");
        var altered = Assert.Throws<RegimeDetectorLoadException>(() =>
            RegimeDetectorFiles.Load(_scratch, GaussianRegimeDetector.DefaultName)
        );
        Assert.Equal(GaussianRegimeDetector.DefaultName, altered.Detector);
        Assert.Contains("does not match the manifest", altered.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<RegimeDetectorLoadException>(() => RegimeDetectorFiles.Load(_scratch, "hmm9"));
        Assert.Contains("neither 'rules' nor listed", unknown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"temperature\": 0.2", "\"temperature\": -1", "temperature must be in")]
    [InlineData("\"filter\": \"hmm\"", "\"filter\": \"kalman\"", "filter is 'kalman'")]
    [InlineData("\"version\": \"1\"", "\"version\": \"1\", \"extra\": 3", "extra")]
    public void AMalformedParameterFileIsRefusedWithItsReason(string find, string replace, string reason)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.RegimeDetectors, "probabilistic.json"));
        Assert.Contains(find, text, StringComparison.Ordinal);
        var path = Path.Combine(_scratch, "bad.json");
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));

        var refused = Assert.Throws<RegimeDetectorLoadException>(() => RegimeDetectorFiles.LoadFile(path));
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Hostile input, round 2, class 9: before, these loaded without a word (rows were
    /// renormalised).</summary>
    [Theory]
    [InlineData("transition", "transition row 1 sums to 1.1, not 1")]
    [InlineData("prior", "prior sums to 0.5, not 1")]
    [InlineData("variance", "covariance 2 has variance 1E+300 for")]
    [InlineData("tiny-variance", "covariance 0 has variance 1E-300 for")]
    public void ProbabilitiesThatDoNotSumToOneAndImplausibleVariancesAreRefused(string fault, string reason)
    {
        var p = (
            (GaussianRegimeDetector)
                RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName)
        ).Parameters;
        var transition = p.Transition.Select(r => r.ToArray()).ToArray();
        var prior = p.Prior.ToArray();
        var covariances = p.Covariances.Select(c => c.Select(r => r.ToArray()).ToArray()).ToArray();
        switch (fault)
        {
            case "transition":
                transition[1] = [0.5, 0.3, 0.3];
                break;
            case "prior":
                prior = [0.25, 0.125, 0.125];
                break;
            case "variance":
                covariances[2][1][1] = 1e300;
                break;
            default:
                covariances[0][3][3] = 1e-300;
                break;
        }

        var refused = Assert.Throws<FormatException>(() =>
            new GaussianRegimeDetector(
                new GaussianRegimeParameters
                {
                    Prior = prior,
                    Transition = transition,
                    Means = p.Means,
                    Covariances = covariances,
                },
                null
            )
        );
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACovarianceThatIsNotPositiveDefiniteIsRefused()
    {
        var shipped = (GaussianRegimeDetector)
            RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName);
        var p = shipped.Parameters;
        var broken = new GaussianRegimeParameters
        {
            Prior = p.Prior,
            Transition = p.Transition,
            Means = p.Means,
            Covariances =
            [
                p.Covariances[0],
                p.Covariances[1],
                [
                    [1, 2, 0, 0],
                    [2, 1, 0, 0],
                    [0, 0, 1, 0],
                    [0, 0, 0, 1],
                ],
            ],
        };

        var refused = Assert.Throws<FormatException>(() => new GaussianRegimeDetector(broken, null));
        Assert.Contains("covariance 2 is not positive definite", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoresCountAgreementDelayAndFlipsAsDefined()
    {
        var bull = RegimeState.FromProbabilities(0.8, 0.1, 0.1);
        var bear = RegimeState.FromProbabilities(0.1, 0.8, 0.1);
        RegimeState[] predicted = [bull, bull, bull, bear, bear, bull];
        int[] labels = [0, 0, 1, 1, 1, 1];

        var scores = RegimeScores.Of(predicted, labels);

        Assert.Equal(4.0 / 6, scores.Accuracy, 12);
        Assert.Equal(1, scores.LabelChanges);
        Assert.Equal(1.0, scores.MedianDelay); // the label turned bear at bar 2, the detector at bar 3
        Assert.Equal(100.0 * 2 / 5, scores.FlipsPer100, 12);
        Assert.Equal(-((4 * Math.Log(0.8)) + (2 * Math.Log(0.1))) / 6, scores.LogLoss, 12);
        var f1Bull = 2.0 * 2 / ((2 * 2) + 2 + 0); // bars 2 and 5 called bull, labelled bear
        var f1Bear = 2.0 * 2 / ((2 * 2) + 0 + 2); // bars 2 and 5 missed
        Assert.Equal((f1Bull + f1Bear + 0) / 3, scores.MacroF1, 12);
    }

    [Theory]
    [InlineData("date,open,high,low,close\n2020-01-01,1,1,1,1\n", ":1: the header lacks volume")]
    [InlineData("date,open,high,low,close,volume\n2020-01-01,1,1,1,1,5\nnot-a-date,1,1,1,1,5\n", ":3: 'not-a-date'")]
    [InlineData("date,open,high,low,close,volume\n2020-01-01,1,1,1,NaN,5\n", ":2: close 'NaN' is not a finite")]
    [InlineData(
        "date,open,high,low,close,volume\n2020-01-01,1,1,1,1,5\n2020-01-01,1,1,1,1,5\n",
        ":3: 2020-01-01 is not"
    )]
    [InlineData("date,open,high,low,close,volume\n2020-01-01,1,0.5,1,1,5\n", ":2: high and low do not bound")]
    [InlineData("date,open,high,low,close,volume\n2020-01-01,1,1,1\n", ":2: 4 columns")]
    public void ABadRowIsRefusedWithItsLineNumber(string csv, string expected)
    {
        var refused = Assert.Throws<FormatException>(() => BarCsv.Read(new StringReader(csv), "bars.csv"));
        Assert.Contains("bars.csv" + expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotedFieldsAndCrlfLineEndsAreReadAsASpreadsheetWritesThem()
    {
        // A note with a comma and a line break inside quotes, a quoted number, CRLF line ends.
        var good =
            "date,open,high,low,close,volume,note,regime\r\n"
            + "2021-01-01,10,11,9,10,5,\"split, then\r\nmerged\",bull\r\n"
            + "2021-01-02,\"11\",12,10,12,0,\"plain\",\"bear\"\r\n";
        var bad = good + "2021-01-03,12,12,10,x,0,,bear\r\n";

        var rows = BarCsv.Read(new StringReader(good), "bars.csv");
        var refused = Assert.Throws<FormatException>(() => BarCsv.Read(new StringReader(bad), "bars.csv"));

        Assert.Equal(2, rows.Count);
        Assert.Equal(11, rows[1].Bar.Open);
        Assert.Equal(["bull", "bear"], rows.Select(r => r.Label));
        // The bad row is the fourth record, on the fifth line (the quoted line break counts).
        Assert.Contains("bars.csv:5: close 'x'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AByteOrderMarkAndExtraColumnsInAnyOrderAreRead()
    {
        var csv = "\uFEFFvolume,Close,date,low,note,high,open\n5,10,2021-01-01,9,x,11,10\n0,12,2021-01-02,10,y,12,11\n";

        var rows = BarCsv.Read(new StringReader(csv), "bars.csv");

        Assert.Equal(2, rows.Count);
        Assert.Equal(new Bar(rows[1].Bar.StartMs, rows[1].Bar.EndMs, 11, 12, 10, 12, 0, 1), rows[1].Bar);
        Assert.Equal(DateTimeOffset.Parse("2021-01-02T00:00:00Z").ToUnixTimeMilliseconds(), rows[1].Bar.StartMs);
        Assert.Null(rows[0].Label);
    }

    [Fact]
    public void TheSimulatorHasTheCalibratedReturnsPerMinuteAndRunLengths()
    {
        for (var regime = 0; regime < 3; regime++)
        {
            var market = new MarketSimulator(
                ["X"],
                seed: 17 + regime,
                DateTimeOffset.UnixEpoch,
                TimeSpan.FromSeconds(1),
                (MarketRegime)regime
            );
            var closes = new List<double>();
            for (var tick = 0; tick < 60 * 20_000; tick++)
            {
                var price = market.NextRound().First().Price;
                if (tick % 60 == 59)
                {
                    closes.Add(price);
                }
            }

            var returns = closes.Zip(closes.Skip(1), (a, b) => Math.Log(b / a)).ToArray();
            var mean = returns.Average();
            var std = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / (returns.Length - 1));
            var (expectedMean, expectedStd, _, _) = MarketSimulator.Calibration[regime];
            Assert.True(Math.Abs(std - expectedStd) < 0.03 * expectedStd, $"regime {regime}: std {std}");
            var standardError = expectedStd / Math.Sqrt(returns.Length);
            Assert.True(Math.Abs(mean - expectedMean) < 4 * standardError, $"regime {regime}: mean {mean}");
        }

        var (_, labels) = SimulatedPath(seed: 5, count: 60_000);
        var runs = new List<(int Regime, int Length)>();
        for (var t = 1; t < labels.Length; t++)
        {
            if (runs.Count == 0 || labels[t] != runs[^1].Regime)
            {
                runs.Add((labels[t], 1));
            }
            else
            {
                runs[^1] = (runs[^1].Regime, runs[^1].Length + 1);
            }
        }

        for (var regime = 0; regime < 3; regime++)
        {
            var mean = runs.Skip(1).SkipLast(1).Where(r => r.Regime == regime).Average(r => r.Length);
            var expected = MarketSimulator.Calibration[regime].MeanRun;
            Assert.True(Math.Abs(mean - expected) < 0.15 * expected, $"regime {regime}: mean run {mean}");
        }
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static IReadOnlyList<CsvBar> Btc() => BarCsv.Read(RepositoryRoot.BtcDaily);

    private static RegimeState Mean(IReadOnlyList<CsvBar> rows, RegimeState[] regimes, string from, string to)
    {
        var picked = rows.Select((r, i) => (r, i))
            .Where(x => string.CompareOrdinal(x.r.Date, from) >= 0 && string.CompareOrdinal(x.r.Date, to) <= 0)
            .Select(x => regimes[x.i])
            .ToList();
        return new RegimeState(
            picked.Average(r => r.Bull),
            picked.Average(r => r.Bear),
            picked.Average(r => r.Sideways),
            0
        );
    }

    /// <summary>One symbol of the simulator, one bar per simulated minute (its regime step), labelled with the
    /// regime of its ticks.</summary>
    private static (Bar[] Bars, int[] Labels) SimulatedPath(int seed, int count)
    {
        var market = new MarketSimulator(["SIM"], seed, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1));
        var bars = new Bar[count];
        var labels = new int[count];
        for (var b = 0; b < count; b++)
        {
            double open = 0,
                high = 0,
                low = double.MaxValue,
                close = 0,
                volume = 0;
            for (var s = 0; s < 60; s++)
            {
                var tick = market.NextRound().First();
                open = s == 0 ? tick.Price : open;
                (high, low, close, volume) = (
                    Math.Max(high, tick.Price),
                    Math.Min(low, tick.Price),
                    tick.Price,
                    volume + tick.Size
                );
            }

            bars[b] = new Bar(b * 60_000L, (b + 1) * 60_000L, open, high, low, close, volume, 60);
            labels[b] = (int)market.RegimeOf(0);
        }

        return (bars, labels);
    }
}
