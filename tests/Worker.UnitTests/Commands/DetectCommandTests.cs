using System.Globalization;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Tests;
using Inference.Streaming.Tools.Commands;

namespace Inference.Streaming.Worker.UnitTests.Commands;

public sealed class DetectCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("detect-").FullName;

    [Theory]
    [InlineData("rules")]
    [InlineData("probabilistic")]
    public void WritesEachBarsProbabilitiesExactlyAsTheStreamsCodeComputesThem(string name)
    {
        var output = Path.Combine(_scratch, name + ".csv");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = Tool.Run(
            "detect",
            [
                "--bars",
                RepositoryRoot.BtcDaily,
                "--detector",
                name,
                "--regimes-dir",
                RepositoryRoot.RegimeDetectors,
                "--output",
                output,
            ],
            stdout,
            stderr
        );

        Assert.True(exit == 0, stderr.ToString());
        var rows = BarCsv.Read(RepositoryRoot.BtcDaily);
        var expected = RegimeSeries.Run(
            RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, name),
            rows.Select(r => r.Bar)
        );
        var lines = File.ReadAllLines(output);
        Assert.Equal(DetectCommand.Header, lines[0]);
        Assert.Equal(rows.Count + 1, lines.Length);
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.Equal(rows[i].Date, cells[0]);
            var read = cells[1..].Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal([expected[i].Bull, expected[i].Bear, expected[i].Sideways, expected[i].Entropy], read);
        }

        Assert.Contains($"{rows.Count} bars, detector {name}", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ABadRowIsNamedByItsLineAndNothingIsWritten()
    {
        var bars = Path.Combine(_scratch, "bars.csv");
        File.WriteAllLines(
            bars,
            ["date,open,high,low,close,volume", "2021-01-01,10,11,9,10,5", "2021-01-02,10,11,9,-3,5"]
        );
        var output = Path.Combine(_scratch, "out.csv");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = Tool.Run("detect", ["--bars", bars, "--detector", "rules", "--output", output], stdout, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("bars.csv:3: prices must be positive", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AnUnknownDetectorIsRefusedByName()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = Tool.Run(
            "detect",
            [
                "--bars",
                RepositoryRoot.BtcDaily,
                "--detector",
                "oracle",
                "--regimes-dir",
                RepositoryRoot.RegimeDetectors,
                "--output",
                "-",
            ],
            stdout,
            stderr
        );

        Assert.Equal(2, exit);
        Assert.Contains("regime detector 'oracle' refused", stderr.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
