using System.CommandLine;
using System.Globalization;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>detect --bars FILE.csv --detector NAME [--params FILE] [--regimes-dir DIR] --output OUT.csv</c>:
/// runs a regime detector over one symbol's bars with the stream's own code (<see cref="RegimeSeries"/>)
/// and writes <c>date, bull, bear, sideways, entropy</c> per bar. Until the detector's windows are full
/// a bar gets the prior (1/3 each), as a symbol in the stream does.
/// </summary>
public static class DetectCommand
{
    public const string Header = "date,bull,bear,sideways,entropy";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bars = new Option<string>("--bars")
        {
            Description = "CSV with date, open, high, low, close, volume (other columns ignored).",
            Required = true,
        };
        var detector = new Option<string>("--detector")
        {
            Description = "rules, or a detector listed in --regimes-dir's manifest (probabilistic).",
            DefaultValueFactory = _ => GaussianRegimeDetector.DefaultName,
        };
        var parameters = new Option<string?>("--params")
        {
            Description = "A parameter file to use instead of the manifest's (its SHA-256 is reported, not checked).",
        };
        var directory = new Option<string>("--regimes-dir")
        {
            Description = "Detector directory with manifest.json.",
            DefaultValueFactory = _ => Path.Combine("models", "regimes"),
        };
        var output = new Option<string>("--output") { Description = "CSV to write; - for stdout.", Required = true };
        var command = new Command("detect", "Runs a regime detector over a bar file.")
        {
            bars,
            detector,
            parameters,
            directory,
            output,
        };
        command.SetAction(Execute);
        return command;

        int Execute(ParseResult parse)
        {
            try
            {
                var name = parse.GetValue(detector)!;
                IRegimeDetector chosen = parse.GetValue(parameters) is { } file
                    ? RegimeDetectorFiles.LoadFile(file, name: name)
                    : RegimeDetectorFiles.Load(parse.GetValue(directory)!, name);
                var rows = BarCsv.Read(parse.GetValue(bars)!);
                var regimes = RegimeSeries.Run(chosen, rows.Select(r => r.Bar));
                var target = parse.GetValue(output)!;
                // Written as it goes: a million bars need no second copy of the output in memory.
                using (var fileWriter = target == "-" ? null : new StreamWriter(target))
                {
                    var writer = fileWriter ?? stdout;
                    writer.Write(Header + "\n");
                    for (var i = 0; i < rows.Count; i++)
                    {
                        // BarCsv splits on commas, so a date never holds one: no quoting needed.
                        var r = regimes[i];
                        writer.Write(
                            string.Create(
                                CultureInfo.InvariantCulture,
                                $"{rows[i].Date},{r.Bull:R},{r.Bear:R},{r.Sideways:R},{r.Entropy:R}\n"
                            )
                        );
                    }
                }

                if (target != "-")
                {
                    var info = chosen.Info;
                    stderr.WriteLine(
                        $"detect: {rows.Count} bars, detector {info.Name} {info.Version}"
                            + (info.Sha256 is null ? string.Empty : $" (SHA-256 {info.Sha256})")
                            + $", written to {target}"
                    );
                }

                return 0;
            }
            catch (Exception ex)
                when (ex is FormatException or IOException or UnauthorizedAccessException or RegimeDetectorLoadException
                )
            {
                stderr.WriteLine("detect: " + ex.Message);
                return 2;
            }
        }
    }
}
