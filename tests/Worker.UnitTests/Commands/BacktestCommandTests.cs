using System.Text.Json;
using System.Text.Json.Nodes;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Tests;
using Inference.Streaming.Tools.Forensics;

namespace Inference.Streaming.Worker.UnitTests.Commands;

/// <summary><c>backtest</c> in process over the real BTC-USD daily bars and the shipped models.</summary>
public sealed class BacktestCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("backtest-").FullName;

    [Fact]
    public void NoDecisionDependsOnALaterBarAndARunIsReproducibleByteForByte()
    {
        var full = Bars("full.csv", 320);
        var truncated = Bars("truncated.csv", 200);

        var fullOut = Backtest(full, "full");
        var again = Backtest(full, "again");
        var truncatedOut = Backtest(truncated, "truncated");

        var fullDecisions = File.ReadAllLines(Path.Combine(fullOut, "decisions.jsonl"));
        Assert.Equal(320, fullDecisions.Length);
        Assert.Equal(fullDecisions, File.ReadAllLines(Path.Combine(again, "decisions.jsonl")));
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(fullOut, "forensics.jsonl")),
            File.ReadAllBytes(Path.Combine(again, "forensics.jsonl"))
        );
        // Cut after bar 200: its 200 decisions (the last one decided at the end of the file, not by a next row) are
        // the full file's first 200, features, model outputs and risk inputs included; only the input line differs.
        var cut = File.ReadAllLines(Path.Combine(truncatedOut, "decisions.jsonl"));
        Assert.Equal(fullDecisions[..200], cut);
        Assert.Equal(
            File.ReadAllLines(Path.Combine(fullOut, "forensics.jsonl"))[..200].Select(WithoutInput),
            File.ReadAllLines(Path.Combine(truncatedOut, "forensics.jsonl")).Select(WithoutInput)
        );
        Assert.Contains(fullDecisions, d => !d.Contains("\"action\":\"HOLD\"", StringComparison.Ordinal));
    }

    [Fact]
    public void TheReportIsWhatTheDecisionsDidToThePaperPortfolioBesideBuyAndHold()
    {
        var bars = Bars("bars.csv", 400);
        var output = Backtest(bars, "out", "--Inference:Selection", "Mixture");

        var rows = BarCsv.Read(bars);
        var decisions = File.ReadAllLines(Path.Combine(output, "decisions.jsonl"))
            .Select(l => JsonSerializer.Deserialize<TradingDecision>(l, ForensicsFiles.JsonOptions)!)
            .ToList();
        var portfolio = new PaperPortfolio();
        var trades = 0;
        for (var i = 0; i < decisions.Count; i++)
        {
            Assert.Equal(rows[i].Bar.StartMs, new DateTimeOffset(decisions[i].bar_start).ToUnixTimeMilliseconds());
            Assert.Equal("mixture", decisions[i].selection);
            var shares = portfolio.Shares;
            portfolio.Apply(decisions[i].action, rows[i].Bar.Close);
            trades += portfolio.Shares != shares ? 1 : 0;
        }

        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        var champion = report["policies"]!["champion"]!;
        Assert.Equal(portfolio.ValueAt(rows[^1].Bar.Close), champion["final_value"]!.GetValue<double>());
        Assert.Equal(trades, champion["trades"]!.GetValue<long>());
        Assert.InRange(trades, 1, decisions.Count - 1);
        var held = report["policies"]!["buy_and_hold"]!;
        var expected = (rows[^1].Bar.Close / (rows[0].Bar.Close * (1 + PaperPortfolio.Commission))) - 1;
        Assert.Equal(expected, held["total_return"]!.GetValue<double>(), 12);
        Assert.InRange(champion["max_drawdown"]!.GetValue<double>(), 1e-6, 1);
        Assert.Equal(400, champion["bars"]!.GetValue<int>());
        Assert.Equal("detector", report["regimes"]!.GetValue<string>());
        Assert.StartsWith("probabilistic/1/", report["regime_detector"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(output, "report.png")).Length > 10_000);
    }

    [Fact]
    public void LabelsDecideEachBarUnderItsOwnRowsRegimeAndASymbolColumnKeepsSymbolsApart()
    {
        var rows = File.ReadAllLines(RepositoryRoot.BtcDaily)[..201];
        var one = Path.Combine(_scratch, "one.csv");
        File.WriteAllLines(one, rows);
        // The same bars under two symbols, interleaved row by row, the second from a day later.
        var two = Path.Combine(_scratch, "two.csv");
        var lines = new List<string> { "symbol," + rows[0] };
        for (var i = 1; i < rows.Length; i++)
        {
            lines.Add("AAA," + rows[i]);
            if (i >= 2)
            {
                lines.Add("BBB," + rows[i]);
            }
        }

        File.WriteAllLines(two, lines);

        var alone = Backtest(one, "alone", "--regimes", "labels");
        var mixed = Backtest(two, "mixed", "--regimes", "labels");

        var labels = BarCsv.Read(one).Select(r => r.Label).ToList();
        var decided = Read(Path.Combine(alone, "decisions.jsonl"));
        Assert.Equal(200, decided.Count);
        for (var i = 0; i < decided.Count; i++)
        {
            var regime = decided[i].regime;
            var expected = labels[i] switch
            {
                "BULL" => (1.0, 0.0, 0.0),
                "BEAR" => (0.0, 1.0, 0.0),
                _ => (0.0, 0.0, 1.0),
            };
            Assert.Equal(expected, (regime.bull, regime.bear, regime.sideways));
        }

        var aaa = Read(Path.Combine(mixed, "decisions.jsonl")).Where(d => d.symbol == "AAA").ToList();
        Assert.Equal(
            decided.Select(d => (d.action, d.confidence, d.bar_end)),
            aaa.Select(d => (d.action, d.confidence, d.bar_end))
        );
        Assert.Equal(199, Read(Path.Combine(mixed, "decisions.jsonl")).Count(d => d.symbol == "BBB"));
    }

    [Fact]
    public void FromADateEarlierBarsOnlyWarmTheIndicatorsAndTheRegimeUp()
    {
        var bars = Bars("bars.csv", 300);
        var full = Backtest(bars, "full");
        var from = Backtest(bars, "from", "--from", "2017-08-01");

        var whole = File.ReadAllLines(Path.Combine(full, "forensics.jsonl")).Select(ForensicsFiles.FromJson).ToList();
        var part = File.ReadAllLines(Path.Combine(from, "forensics.jsonl")).Select(ForensicsFiles.FromJson).ToList();
        var first = whole.FindIndex(f => f.decision.bar_start == new DateTime(2017, 8, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(whole.Count - first, part.Count);
        Assert.Equal(whole[first].decision.bar_start, part[0].decision.bar_start);
        for (var i = 0; i < part.Count; i++)
        {
            // The market features (3 on) and the regime are the full run's; the portfolio starts afresh.
            Assert.Equal(whole[first + i].features.Skip(3), part[i].features.Skip(3));
            Assert.Equal(whole[first + i].decision.regime.bull, part[i].decision.regime.bull);
        }

        Assert.Equal(new[] { 1f, 0f, 0f }, part[0].features.Take(3));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(from, "report.json")))!;
        Assert.Equal(part.Count, report["policies"]!["buy_and_hold"]!["bars"]!.GetValue<int>());
    }

    [Fact]
    public void BadInputIsRefusedWithItsLine()
    {
        var bars = Path.Combine(_scratch, "bad.csv");
        File.WriteAllLines(
            bars,
            ["date,open,high,low,close,volume", "2021-01-01,10,11,9,10,5", "2021-01-02,10,9,9,10,5"]
        );
        Assert.Contains("bad.csv:3: high and low do not bound open and close", Fails(bars), StringComparison.Ordinal);

        var unlabelled = Path.Combine(_scratch, "plain.csv");
        File.WriteAllLines(unlabelled, ["date,open,high,low,close,volume", "2021-01-01,10,11,9,10,5"]);
        Assert.Contains(
            "plain.csv:2: --regimes labels needs a regime column",
            Fails(unlabelled, "--regimes", "labels"),
            StringComparison.Ordinal
        );
        Assert.Contains(
            "--regimes columns needs bull, bear, sideways",
            Fails(unlabelled, "--regimes", "columns"),
            StringComparison.Ordinal
        );

        var badSymbol = Path.Combine(_scratch, "sym.csv");
        File.WriteAllLines(badSymbol, ["date,open,high,low,close,volume,symbol", "2021-01-01,10,11,9,10,5,no spaces"]);
        Assert.Contains("sym.csv:2: symbol 'no spaces' is not", Fails(badSymbol), StringComparison.Ordinal);

        var sums = Path.Combine(_scratch, "sums.csv");
        File.WriteAllLines(
            sums,
            ["date,open,high,low,close,volume,bull,bear,sideways", "2021-01-01,10,11,9,10,5,0.5,0.5,0.5"]
        );
        Assert.Contains(
            "sums.csv:2: regime probabilities sum to 1.5",
            Fails(sums, "--regimes", "columns"),
            StringComparison.Ordinal
        );

        Assert.Contains(
            "bars of 3 ms; a bar takes 4 ticks",
            Fails(unlabelled, "--bar-interval", "00:00:00.003"),
            StringComparison.Ordinal
        );

        var longName = Path.Combine(_scratch, "a-file-name-longer-than-a-symbol.csv");
        File.Copy(unlabelled, longName);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(
            2,
            Tool.Run(
                "backtest",
                ["--bars", longName, "--model-dir", RepositoryRoot.Models, "--output", _scratch],
                stdout,
                stderr
            )
        );
        Assert.Contains("give one with --symbol", stderr.ToString(), StringComparison.Ordinal);
    }

    private string Fails(string bars, params string[] more)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = Tool.Run(
            "backtest",
            [
                "--bars",
                bars,
                "--symbol",
                "X",
                "--model-dir",
                RepositoryRoot.Models,
                "--output",
                Path.Combine(_scratch, "failed"),
                .. more,
            ],
            stdout,
            stderr
        );
        Assert.Equal(2, exit);
        return stderr.ToString();
    }

    private static List<TradingDecision> Read(string path) =>
        [
            .. File.ReadAllLines(path)
                .Select(l => JsonSerializer.Deserialize<TradingDecision>(l, ForensicsFiles.JsonOptions)!),
        ];

    private static string WithoutInput(string forensics)
    {
        var node = JsonNode.Parse(forensics)!;
        node.AsObject().Remove("input");
        return node.ToJsonString();
    }

    /// <summary>The first <paramref name="count"/> rows of the BTC-USD daily file.</summary>
    private string Bars(string name, int count)
    {
        var path = Path.Combine(_scratch, name);
        File.WriteAllLines(path, File.ReadAllLines(RepositoryRoot.BtcDaily)[..(count + 1)]);
        return path;
    }

    private string Backtest(string bars, string name, params string[] more)
    {
        var output = Path.Combine(_scratch, name);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = Tool.Run(
            "backtest",
            [
                "--bars",
                bars,
                "--symbol",
                "BTC-USD",
                "--model-dir",
                RepositoryRoot.Models,
                "--regimes-dir",
                RepositoryRoot.RegimeDetectors,
                "--output",
                output,
                "--device",
                "cpu",
                .. more,
            ],
            stdout,
            stderr
        );
        Assert.True(exit == 0, stderr.ToString());
        Assert.Contains("backtest: champion", stdout.ToString(), StringComparison.Ordinal);
        return output;
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
