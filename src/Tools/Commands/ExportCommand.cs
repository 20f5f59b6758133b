using System.CommandLine;
using System.Globalization;
using Inference.Streaming.Tools.Forensics;

namespace Inference.Streaming.Tools.Commands;

/// <summary><c>export</c>: writes <c>decision-forensics</c> to JSON Lines and Avro files.</summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var source = new ForensicsCommands.SourceOptions();
        var jsonl = new Option<FileInfo?>("--jsonl") { Description = "Write JSON Lines (one decision per line)." };
        var avro = new Option<FileInfo?>("--avro") { Description = "Write an Avro object container file." };
        var command = new Command(
            "export",
            "Write decision-forensics records to JSON Lines and/or an Avro container file."
        )
        {
            jsonl,
            avro,
        };
        source.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.Validators.Add(result =>
        {
            if (result.GetValue(jsonl) is null && result.GetValue(avro) is null)
            {
                result.AddError("export needs --jsonl FILE, --avro FILE or both");
            }
        });
        command.SetAction(
            (parse, cancellationToken) =>
                ForensicsCommands.Guard(
                    stderr,
                    async () =>
                    {
                        using var host = source.Host(parse);
                        var reader = source.Reader(parse, host.Services);
                        var targets = new List<string>();
                        if (parse.GetValue(jsonl) is { } jsonlFile)
                        {
                            targets.Add(
                                !ForensicsFiles.IsAvro(jsonlFile.FullName)
                                    ? jsonlFile.FullName
                                    : throw new ArgumentException(
                                        $"{jsonlFile.Name}: --jsonl takes a JSON Lines file, not .avro"
                                    )
                            );
                        }

                        if (parse.GetValue(avro) is { } avroFile)
                        {
                            targets.Add(
                                ForensicsFiles.IsAvro(avroFile.FullName)
                                    ? avroFile.FullName
                                    : throw new ArgumentException($"{avroFile.Name}: --avro takes an .avro file")
                            );
                        }

                        var written = await ForensicsFiles.WriteAsync(
                            targets,
                            ReadProgress.Track(
                                reader.ReadAsync(source.Query(parse), cancellationToken),
                                "export",
                                stderr,
                                cancellationToken
                            ),
                            cancellationToken
                        );
                        foreach (var target in targets)
                        {
                            stdout.WriteLine(
                                string.Create(CultureInfo.InvariantCulture, $"export: {written} decisions to {target}")
                            );
                        }

                        foreach (var problem in reader.Unreadable)
                        {
                            stderr.WriteLine("export: skipped " + problem);
                        }

                        return 0;
                    }
                )
        );
        return command;
    }
}
