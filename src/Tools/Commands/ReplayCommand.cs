using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Regimes;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary><c>replay</c>: re-runs recorded decisions from <c>decision-forensics</c> (or a file <c>export</c>
/// wrote) with the models of <c>--model-dir</c>, and reports every difference.</summary>
internal static class ReplayCommand
{
    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = false };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ForensicsCommands.SourceOptions();
        var input = new Option<FileInfo?>("--input")
        {
            Description = "Replay a file written by export (.jsonl or .avro) instead of a topic.",
        };
        var modelDir = new Option<string?>("--model-dir")
        {
            Description = "Models to replay with, in the seed layout (default: Models:Directory).",
        };
        var output = new Option<FileInfo?>("--output")
        {
            Description = "Write the report as JSON Lines: one line per difference, then the summary.",
        };
        var show = new Option<int>("--show") { Description = "Differences to print.", DefaultValueFactory = _ => 10 };
        var device = new Option<string?>("--device") { Description = "auto, cpu or cuda (default: Inference:Device)." };
        var command = new Command(
            "replay",
            "Re-run recorded decisions with the models of --model-dir and report every difference."
        )
        {
            input,
            modelDir,
            output,
            show,
            device,
        };
        source.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(
            (parse, cancellationToken) =>
                ForensicsCommands.Guard(
                    stderr,
                    async () =>
                    {
                        using var host = source.Host(
                            parse,
                            services =>
                            {
                                services.AddDecisionEngine();
                                services.AddModelLoading();
                                services.AddRegimes();
                                services.AddSingleton<DecisionAssembler>();
                                services.PostConfigure<InferenceOptions>(inference =>
                                    inference.Device = parse.GetValue(device) ?? inference.Device
                                );
                                services.PostConfigure<ModelOptions>(models =>
                                    models.Directory = parse.GetValue(modelDir) ?? models.Directory
                                );
                            }
                        );
                        var provider = host.Services;
                        var directory = provider.GetRequiredService<IOptions<ModelOptions>>().Value.Directory;
                        var query = source.Query(parse);
                        var file = parse.GetValue(input);
                        ForensicsTopicReader? reader = file is null ? source.Reader(parse, provider) : null;
                        var unreadable = new List<string>();
                        var records = ReadProgress.Track(
                            file is not null
                                ? ForensicsCommands.Filter(
                                    ForensicsFiles.ReadAsync(file.FullName, cancellationToken, unreadable),
                                    query
                                )
                                : reader!.ReadAsync(query, cancellationToken),
                            "replay",
                            stderr,
                            cancellationToken
                        );

                        using var models = provider
                            .GetRequiredService<ModelDirectoryLoader>()
                            .Load(directory, generation: 1, Observation.Width);
                        foreach (var error in models.Errors)
                        {
                            stderr.WriteLine(
                                $"replay: model {error.Name} not loaded from {error.Path}: {error.Reason}"
                            );
                        }

                        // An experiment's challenger (Models:Challenger:Directory): its decisions replay on its set.
                        using var challenger = provider
                            .GetRequiredService<IOptions<ModelOptions>>()
                            .Value.Challenger.Directory
                            is { Length: > 0 } challengerDirectory
                            ? provider
                                .GetRequiredService<ModelDirectoryLoader>()
                                .Load(challengerDirectory, generation: 2, Observation.Width)
                            : null;
                        var report = await new Replayer(
                            models,
                            provider.GetRequiredService<DecisionAssembler>(),
                            provider.GetRequiredService<DecisionFunction>(),
                            challenger: challenger
                        ).RunAsync(records, cancellationToken);
                        unreadable.AddRange(reader?.Unreadable ?? []);
                        report.Problems.AddRange(unreadable);
                        report.Unreadable = unreadable.Count;
                        foreach (var problem in unreadable)
                        {
                            stderr.WriteLine("replay: unreadable " + problem);
                        }

                        Print(stdout, report, file?.FullName ?? "topic", directory, parse.GetValue(show));
                        if (parse.GetValue(output) is { } path)
                        {
                            await WriteReportAsync(path.FullName, report, cancellationToken);
                        }

                        if (report.Read == 0)
                        {
                            stderr.WriteLine("replay: no decision in the requested range");
                            return ForensicsCommands.Failed;
                        }

                        return report.Unreadable > 0 ? ForensicsCommands.Failed
                            : report.Passed ? 0
                            : ForensicsCommands.Differences;
                    }
                )
        );
        return command;
    }

    private static void Print(TextWriter stdout, ReplayReport report, string source, string modelDirectory, int show)
    {
        stdout.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"replay of {source} with models from {modelDirectory}: {report.Mode}"
            )
        );
        stdout.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"  decisions read {report.Read}, identical {report.Identical}, different {report.Different} "
                    + $"(unexpected {report.UnexpectedDifferences}), not replayable {report.NotReplayable}, "
                    + $"unreadable {report.Unreadable}"
            )
        );
        foreach (var model in report.Models)
        {
            stdout.WriteLine(
                $"  model {model.Model}: {model.Status} (recorded "
                    + $"{string.Join(", ", model.RecordedSha256.Select(Short))}; replay {Short(model.ReplaySha256)})"
            );
        }

        stdout.WriteLine(
            report.Configuration.Same
                ? "  configuration: same as recorded"
                : $"  configuration: differs from recorded "
                    + $"({string.Join(", ", report.Configuration.Recorded.Select(Short))} vs "
                    + $"{Short(report.Configuration.Replay)})"
        );
        if (report.WhatIf > 0)
        {
            stdout.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"  what-if: {report.WhatIf} decisions re-run with other models or configuration than recorded; "
                        + $"their differences are expected, and their ids are those of the new model set"
                )
            );
        }

        foreach (var difference in report.Differences.Take(show))
        {
            stdout.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {(difference.Expected ? "changed" : "DIFFERS")} {difference.DecisionId} {difference.Symbol} "
                        + $"{difference.BarEnd:O}"
                )
            );
            foreach (var field in difference.Fields)
            {
                stdout.WriteLine($"      {field.Field}: {field.Recorded} -> {field.Replayed}");
            }
        }

        foreach (var problem in report.Problems.Take(show))
        {
            stdout.WriteLine("  problem: " + problem);
        }
    }

    private static string Short(string? sha) =>
        sha is null ? "none"
        : sha.Length > 12 ? sha[..12]
        : sha;

    private static async Task WriteReportAsync(string path, ReplayReport report, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false))
        {
            NewLine = "\n",
        };
        foreach (var difference in report.Differences)
        {
            await writer.WriteLineAsync(
                JsonSerializer.Serialize(new { type = "difference", difference }, ReportJson).AsMemory(),
                cancellationToken
            );
        }

        await writer.WriteLineAsync(
            JsonSerializer.Serialize(new { type = "summary", summary = report }, ReportJson).AsMemory(),
            cancellationToken
        );
    }
}
