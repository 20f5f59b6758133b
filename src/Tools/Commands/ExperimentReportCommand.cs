using System.CommandLine;
using System.Text.Json;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tools.Experiments;
using ScottPlot;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>experiment-report</c>: reads an experiment's forensics (from a cluster or an export file), prints each arm's
/// decisions, agreement, return, Sharpe, maximum drawdown and turnover with a paired bootstrap comparison, and writes
/// the report as JSON and each arm's cumulative paper P&amp;L as a PNG chart.
/// </summary>
public static class ExperimentReportCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create(
        TextWriter stdout,
        Func<ParseResult, CancellationToken, IAsyncEnumerable<DecisionForensics>> records,
        Action<Command> addSource,
        Func<Func<Task<int>>, Task<int>> guard
    )
    {
        var experiment = new Option<string?>("--experiment")
        {
            Description = "The experiment's id (Experiments:Id); needed only when the records hold several.",
        };
        var output = new Option<FileInfo>("--output")
        {
            Description = "Where to write the JSON report.",
            DefaultValueFactory = _ => new FileInfo("experiment-report.json"),
        };
        var chart = new Option<FileInfo>("--chart")
        {
            Description = "Where to write the PNG chart of each arm's cumulative paper P&L.",
            DefaultValueFactory = _ => new FileInfo("experiment-report.png"),
        };
        var samples = new Option<int>("--bootstrap-samples")
        {
            Description = "Bootstrap resamples for the comparison's interval.",
            DefaultValueFactory = _ => 2000,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the bootstrap: the same records and seed give the same report.",
            DefaultValueFactory = _ => 17,
        };
        var command = new Command(
            "experiment-report",
            "Compare an experiment's arms from decision-forensics (a topic, or --input an export file)."
        )
        {
            experiment,
            output,
            chart,
            samples,
            seed,
        };
        addSource(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(
            (parse, cancellationToken) =>
                guard(async () =>
                {
                    if (parse.GetValue(samples) is < 100 or > 1_000_000)
                    {
                        throw new ArgumentException("--bootstrap-samples must be between 100 and 1000000");
                    }

                    // Only what the report needs of each record is kept while the rest are read.
                    var read = new List<ExperimentRow>();
                    await foreach (var record in records(parse, cancellationToken))
                    {
                        read.Add(ExperimentRow.From(record));
                    }

                    var report = ExperimentAnalysis.Analyse(
                        read,
                        parse.GetValue(experiment),
                        parse.GetValue(samples),
                        parse.GetValue(seed)
                    );
                    stdout.Write(ExperimentAnalysis.Format(report));
                    var json = parse.GetValue(output)!;
                    var png = parse.GetValue(chart)!;
                    await WriteAsync(json.FullName, report, cancellationToken);
                    Chart(report, png.FullName);
                    stdout.WriteLine($"wrote {json.FullName} and {png.FullName}");
                    return 0;
                })
        );
        return command;
    }

    private static async Task WriteAsync(string path, ExperimentReport report, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, Json, cancellationToken);
    }

    private static void Chart(ExperimentReport report, string path)
    {
        var plot = new Plot();
        foreach (var (arm, curve) in report.Curves)
        {
            var line = plot.Add.Scatter(
                curve.Select(p => p.Time.ToOADate()).ToArray(),
                curve.Select(p => p.Pnl).ToArray()
            );
            line.LegendText = arm;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }

        plot.Axes.DateTimeTicksBottom();
        plot.Title($"Experiment {report.Experiment} ({report.Mode}): cumulative paper P&L by arm");
        plot.YLabel("P&L");
        plot.ShowLegend(Alignment.UpperLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 1000, 560);
    }
}
