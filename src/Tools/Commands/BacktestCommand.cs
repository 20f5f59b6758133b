using System.CommandLine;
using System.Text.Json;
using Inference.Streaming.Contracts.Validation;
using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Backtesting;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Tools.Backtest;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Regimes;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>backtest --bars FILE --model-dir DIR --output OUT [--regimes detector|columns|labels] [--challenger DIR]</c>:
/// runs a bar file through the serving code (<see cref="Backtester"/>) and writes <c>decisions.jsonl</c> and
/// <c>forensics.jsonl</c> (the records as the stream would publish them, Avro field names as keys),
/// <c>report.json</c> (per policy: Sharpe per bar, total return, maximum drawdown, turnover, trades; buy-and-hold
/// beside them) and <c>report.png</c>. Settings not named as options are the worker's configuration
/// (<c>--Inference:Selection Mixture</c>).
/// </summary>
public static class BacktestCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bars = new Option<string>("--bars")
        {
            Description =
                "CSV with date, open, high, low, close, volume (as detect reads it); a symbol column for "
                + "several symbols.",
            Required = true,
        };
        var modelDir = new Option<string>("--model-dir")
        {
            Description = "The models to decide with.",
            Required = true,
        };
        var output = new Option<string>("--output") { Description = "Directory for the results.", Required = true };
        var regimes = new Option<ReplayRegimes>("--regimes")
        {
            Description =
                "detector (the stream's, causal), columns (the file's bull, bear, sideways) or labels (the "
                + "file's regime column, one-hot: hindsight, an oracle).",
            DefaultValueFactory = _ => ReplayRegimes.Detector,
        };
        var detector = new Option<string?>("--detector") { Description = "Detector name (default: Regimes:Detector)." };
        var regimesDir = new Option<string?>("--regimes-dir")
        {
            Description = "Detector directory (default: Regimes:Directory).",
        };
        var challenger = new Option<string?>("--challenger")
        {
            Description = "A second model directory, run on its own portfolio over the same bars.",
        };
        var symbol = new Option<string?>("--symbol")
        {
            Description = "The symbol of a file without a symbol column (default: the file's name).",
        };
        var interval = new Option<TimeSpan?>("--bar-interval")
        {
            Description = "Bar length (default: the smallest gap between two rows of a symbol).",
        };
        var device = new Option<string?>("--device") { Description = "auto, cpu or cuda (default: Inference:Device)." };
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description =
                "Decide only bars from this date (ISO 8601, UTC); earlier ones warm the indicators and the "
                + "regime up.",
        };
        var command = new Command("backtest", "Runs a bar file through the serving code and reports each policy.")
        {
            bars,
            modelDir,
            output,
            regimes,
            detector,
            regimesDir,
            challenger,
            symbol,
            interval,
            device,
            from,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(
            async (parse, cancellationToken) =>
            {
                try
                {
                    return await RunAsync(parse, cancellationToken);
                }
                catch (Exception ex) when (ex is FormatException or RegimeDetectorLoadException)
                {
                    stderr.WriteLine("backtest: " + ex.Message);
                    return ForensicsCommands.Usage;
                }
            }
        );
        return command;

        Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
            ForensicsCommands.Guard(
                stderr,
                async () =>
                {
                    var path = parse.GetRequiredValue(bars);
                    var rows = Symbols(BarCsv.Read(path), path, parse.GetValue(symbol));

                    var barInterval = Checked(parse.GetValue(interval) ?? Interval(rows, path), path);
                    var source = parse.GetValue(regimes);
                    using var host = CommandHost.Build(
                        parse.UnmatchedTokens,
                        services =>
                        {
                            services.AddDecisionEngine();
                            services.AddModelLoading();
                            services.AddRegimes();
                            services.AddSingleton<DecisionAssembler>();
                            services.PostConfigure<FeatureOptions>(f => f.BarInterval = barInterval);
                            services.PostConfigure<InferenceOptions>(i =>
                                i.Device = parse.GetValue(device) ?? i.Device
                            );
                            services.PostConfigure<RegimeOptions>(r =>
                            {
                                r.Source =
                                    source == ReplayRegimes.Detector ? RegimeSource.Detector : RegimeSource.Topic;
                                r.Detector = parse.GetValue(detector) ?? r.Detector;
                                r.Directory = parse.GetValue(regimesDir) ?? r.Directory;
                            });
                        }
                    );
                    var provider = host.Services;
                    var streamRegimes = provider.GetRequiredService<StreamRegimes>();
                    streamRegimes.EnsureLoaded();
                    var loader = provider.GetRequiredService<ModelDirectoryLoader>();
                    var target = parse.GetRequiredValue(output);
                    Directory.CreateDirectory(target);
                    var names = rows.Select(r => r.Symbol!).Distinct(StringComparer.Ordinal).ToList();
                    var features = provider.GetRequiredService<IOptions<FeatureOptions>>().Value;
                    var report = new BacktestReport(path, rows, names, features, source, streamRegimes.Current);

                    var policies = new List<(string Name, string Directory, string Output)>
                    {
                        ("champion", parse.GetRequiredValue(modelDir), target),
                    };
                    if (parse.GetValue(challenger) is { } challengerDir)
                    {
                        policies.Add(("challenger", challengerDir, Path.Combine(target, "challenger")));
                    }

                    foreach (var (name, directory, policyOutput) in policies)
                    {
                        using var models = loader.Load(directory, generation: 1, Observation.Width);
                        foreach (var error in models.Errors)
                        {
                            stderr.WriteLine(
                                $"backtest: model {error.Name} not loaded from {error.Path}: {error.Reason}"
                            );
                        }

                        if (models.Models.Count == 0)
                        {
                            throw new ArgumentException($"{directory}: no model could be loaded");
                        }

                        Directory.CreateDirectory(policyOutput);
                        var backtester = new Backtester(
                            provider.GetRequiredService<DecisionAssembler>(),
                            provider.GetRequiredService<DecisionFunction>(),
                            source == ReplayRegimes.Detector
                                ? provider.GetRequiredService<RegimeDetectorCatalog>().Current
                                : null,
                            features,
                            source,
                            Path.GetFileName(path),
                            parse.GetValue(from)?.ToUnixTimeMilliseconds() ?? long.MinValue
                        );
                        var performance = report.AddPolicy(name, directory, models);
                        await using (var decisions = Writer(Path.Combine(policyOutput, "decisions.jsonl")))
                        await using (var forensics = Writer(Path.Combine(policyOutput, "forensics.jsonl")))
                        {
                            await backtester.RunAsync(
                                ReadProgress.Track(
                                    rows.ToAsyncEnumerable(),
                                    "backtest " + name,
                                    stderr,
                                    cancellationToken
                                ),
                                models,
                                step =>
                                {
                                    decisions.Write(
                                        JsonSerializer.Serialize(step.Decision, ForensicsFiles.JsonOptions)
                                    );
                                    decisions.Write('\n');
                                    forensics.Write(ForensicsFiles.ToJson(step.Forensics));
                                    forensics.Write('\n');
                                    performance.Add(
                                        step.Decision.symbol,
                                        new DateTimeOffset(step.Decision.bar_end).ToUnixTimeMilliseconds(),
                                        step.Decision.action,
                                        step.TradedNotional,
                                        step.ValueAfter
                                    );
                                    report.Observe(name, step);
                                },
                                cancellationToken
                            );
                        }

                        report.Failed(name, backtester.Failures);
                        foreach (var failure in backtester.Failures.Take(10))
                        {
                            stderr.WriteLine($"backtest: {name}: not decided: {failure}");
                        }
                    }

                    report.Write(target);
                    stdout.WriteLine(report.Summary());
                    return 0;
                }
            );
    }

    /// <summary>Every row with its symbol as the stream would name it: the file's <c>symbol</c> column, or
    /// <paramref name="symbol"/>, or the file's name; each under the stream's symbol rule.</summary>
    internal static IReadOnlyList<CsvBar> Symbols(IReadOnlyList<CsvBar> rows, string path, string? symbol)
    {
        if (rows.Count == 0)
        {
            throw new FormatException($"{path}: no bars");
        }

        var fallback = symbol ?? Path.GetFileNameWithoutExtension(path);
        var named = new List<CsvBar>(rows.Count);
        foreach (var row in rows)
        {
            var raw = row.Symbol ?? fallback;
            named.Add(
                row with
                {
                    Symbol =
                        SymbolName.Normalise(raw)
                        ?? throw new FormatException(
                            (
                                row.Symbol is null && symbol is null
                                    ? $"{path}: the file has no symbol column and its name '{raw}' is not a symbol; "
                                        + "give one with --symbol"
                                    : $"{path}:{row.Line}: symbol '{raw}' is not"
                            ) + $" ({SymbolName.Rule})"
                        ),
                }
            );
        }

        return named;
    }

    /// <summary>The smallest gap between two rows of one symbol (a file of one row: a day).</summary>
    internal static TimeSpan Interval(IReadOnlyList<CsvBar> rows, string path) =>
        BarCsv.SmallestGapMs(rows) is { } smallest ? TimeSpan.FromMilliseconds(smallest) : TimeSpan.FromDays(1);

    // A row's four ticks are a millisecond apart: a shorter bar would split them.
    private static TimeSpan Checked(TimeSpan interval, string path) =>
        interval.TotalMilliseconds > BarTicks.PerBar
            ? interval
            : throw new FormatException(
                FormattableString.Invariant($"{path}: bars of {interval.TotalMilliseconds} ms; a bar takes ")
                    + $"{BarTicks.PerBar} ticks a millisecond apart, so --bar-interval must be longer"
            );

    private static StreamWriter Writer(string path) => new(path, append: false) { NewLine = "\n" };
}
