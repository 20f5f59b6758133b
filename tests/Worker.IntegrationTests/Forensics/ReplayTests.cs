using System.Text.Json.Nodes;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Tools.Commands;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Pipeline;
using Inference.Streaming.Worker.Kafka;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Inference.Streaming.Worker.IntegrationTests.Forensics;

/// <summary>
/// <c>replay</c> and <c>export</c> against a recorded end-to-end run of the worker process: the
/// forensics are read from the broker through the registry, re-run through the models, and compared
/// field by field.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ReplayTests(KafkaFixture kafka) : IDisposable
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PipelineRun? _recorded;

    // The configuration the recorded run had beyond appsettings.json (PipelineRun's own settings).
    private static readonly string[] RunConfiguration =
    [
        "--Features:BarInterval",
        "00:00:10",
        "--Inference:Selection",
        "Argmax",
    ];

    private readonly string _scratch = Directory.CreateTempSubdirectory("replay-").FullName;

    [Fact]
    public async Task ReplayOfARecordedRunReproducesEveryDecisionExactly()
    {
        var run = await RecordedAsync();

        var (code, output, report) = await ReplayAsync(Topic(run), "--model-dir", TestPaths.PyTorchFixtures);

        Assert.True(code == 0, output);
        Assert.Equal("faithful", report["mode"]!.GetValue<string>());
        Assert.Equal(run.Forensics.Count, report["read"]!.GetValue<long>());
        Assert.Equal(run.Forensics.Count, report["identical"]!.GetValue<long>());
        Assert.Equal(0, report["different"]!.GetValue<long>());
        Assert.True(report["configuration"]!["same"]!.GetValue<bool>(), output);
        Assert.All(
            report["models"]!.AsArray().Where(m => m!["status"]!.GetValue<string>() != "not recorded"),
            m => Assert.Equal("same", m!["status"]!.GetValue<string>())
        );
    }

    [Fact]
    public async Task ReplayWithOneModelChangedReportsExactlyTheDecisionsThatModelMade()
    {
        var run = await RecordedAsync();
        var changed = ModelThatMadeSomeDecisions(run);
        var models = ModelsWithOneChanged(changed);
        var madeByChanged = run
            .Forensics.Where(f => f.model_outputs.Any(o => o.model == changed))
            .Select(f => f.decision.decision_id)
            .Order()
            .ToList();
        Assert.NotEmpty(madeByChanged);
        Assert.NotEqual(run.Forensics.Count, madeByChanged.Count);

        var (code, output, report) = await ReplayAsync(Topic(run), "--model-dir", models);

        Assert.True(code == 0, output); // a what-if: differences are expected
        Assert.Equal("what-if", report["mode"]!.GetValue<string>());
        Assert.Equal(0, report["unexpected_differences"]!.GetValue<long>());
        Assert.Equal(
            "different",
            report["models"]!.AsArray().Single(m => m!["model"]!.GetValue<string>() == changed)![
                "status"
            ]!.GetValue<string>()
        );
        var differences = report["differences"]!.AsArray();
        Assert.Equal(madeByChanged, differences.Select(d => d!["decision_id"]!.GetValue<string>()).Order());
        Assert.All(
            differences,
            d =>
            {
                var fields = d!["fields"]!.AsArray().Select(f => f!["field"]!.GetValue<string>()).ToList();
                Assert.Contains($"model_outputs[{changed}].probabilities", fields);
                Assert.DoesNotContain(
                    fields,
                    f =>
                        f.StartsWith("model_outputs[", StringComparison.Ordinal)
                        && !f.StartsWith($"model_outputs[{changed}]", StringComparison.Ordinal)
                );
            }
        );
        Assert.Contains(
            differences,
            d => d!["fields"]!.AsArray().Any(f => f!["field"]!.GetValue<string>() == "confidence")
        );
        Assert.Contains("what-if", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportThenReplayFromEitherFileGivesTheSameReportAsTheTopic()
    {
        var run = await RecordedAsync();
        var models = ModelsWithOneChanged(ModelThatMadeSomeDecisions(run));
        var jsonl = Path.Combine(_scratch, "forensics.jsonl");
        var avro = Path.Combine(_scratch, "forensics.avro");

        var export = await ForensicsCli.InvokeAsync(["export", .. Topic(run), "--jsonl", jsonl, "--avro", avro]);
        Assert.True(export.Code == 0, export.Output);
        Assert.Equal(run.Forensics.Count, File.ReadLines(jsonl).Count());

        var fromTopic = await ReplayAsync(Topic(run), "--model-dir", models);
        var fromJsonl = await ReplayAsync(["--input", jsonl], "--model-dir", models);
        var fromAvro = await ReplayAsync(["--input", avro], "--model-dir", models);

        Assert.NotEqual(0, fromTopic.Report["different"]!.GetValue<long>());
        Assert.Equal(fromTopic.Report.ToJsonString(), fromJsonl.Report.ToJsonString());
        Assert.Equal(fromTopic.Report.ToJsonString(), fromAvro.Report.ToJsonString());
        var exported = await ForensicsFiles.ReadAsync(jsonl, CancellationToken.None).ToListAsync();
        Assert.Equal(
            run.Forensics.Select(ForensicsFiles.ToJson).Order(),
            exported.Select(ForensicsFiles.ToJson).Order()
        );
    }

    [SkippableFact]
    public async Task PythonReadsBothExportedFiles()
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), "Debian's python3 is not installed");
        var probe = await Interop.ExternalTool.RunAsync(
            python,
            ["-c", "import avro.datafile"],
            TimeSpan.FromSeconds(30)
        );
        Skip.IfNot(probe.ExitCode == 0, "python3-avro is missing: " + probe.Stderr);
        var run = await RecordedAsync();
        var (jsonl, avro) = (Path.Combine(_scratch, "py.jsonl"), Path.Combine(_scratch, "py.avro"));
        var export = await ForensicsCli.InvokeAsync(["export", .. Topic(run), "--jsonl", jsonl, "--avro", avro]);
        Assert.True(export.Code == 0, export.Output);

        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "read_exports.py");
        var read = await Interop.ExternalTool.RunAsync(python, [script, avro, jsonl], TimeSpan.FromSeconds(60));

        Assert.True(read.ExitCode == 0, read.Stderr);
        var root = JsonNode.Parse(read.Stdout)!;
        Assert.Equal("Inference.Streaming.Contracts.Events.DecisionForensics", root["schema_name"]!.GetValue<string>());
        foreach (var file in new[] { "avro", "jsonl" })
        {
            var decisions = root[file]!.AsObject();
            Assert.Equal(run.Forensics.Count, decisions.Count);
            foreach (var record in run.Forensics)
            {
                var seen = decisions[record.decision.decision_id]!.AsArray();
                Assert.Equal(record.decision.confidence, seen[0]!.GetValue<double>());
                Assert.Equal(record.features.Count, seen[1]!.GetValue<int>());
                Assert.Equal(record.decision.action.ToString(), seen[2]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public async Task ATamperedRecordIsAnUnexpectedDifferenceAndFailsTheReplay()
    {
        var run = await RecordedAsync();
        var records = run.Forensics.OrderBy(f => f.decision.decision_id, StringComparer.Ordinal).ToList();
        var tampered = records[records.Count / 2];
        var path = Path.Combine(_scratch, "tampered.jsonl");
        await File.WriteAllLinesAsync(
            path,
            records.Select(r => r == tampered ? ForensicsFiles.ToJson(Tamper(r)) : ForensicsFiles.ToJson(r))
        );

        var (code, output, report) = await ReplayAsync(["--input", path], "--model-dir", TestPaths.PyTorchFixtures);

        Assert.Equal(ForensicsCommands.Differences, code);
        Assert.Equal(1, report["unexpected_differences"]!.GetValue<long>());
        var difference = Assert.Single(report["differences"]!.AsArray());
        Assert.Equal(tampered.decision.decision_id, difference!["decision_id"]!.GetValue<string>());
        Assert.Equal("confidence", Assert.Single(difference["fields"]!.AsArray())!["field"]!.GetValue<string>());
        Assert.Contains("DIFFERS " + tampered.decision.decision_id, output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Hostile input, round 2, class 7. Before: replay from a topic skipped undecodable records and
    /// said "faithful" with exit code 0; a truncated or corrupted Avro export ended it with Avro's
    /// stack trace and no position.
    /// </summary>
    [Fact]
    public async Task UnreadableRecordsMakeTheReplayIncompleteNamingWhereTheyAre()
    {
        var run = await RecordedAsync();
        var avro = Path.Combine(_scratch, "whole.avro");
        var export = await ForensicsCli.InvokeAsync(["export", .. Topic(run), "--avro", avro]);
        Assert.True(export.Code == 0, export.Output);
        var bytes = await File.ReadAllBytesAsync(avro);
        var truncated = Path.Combine(_scratch, "truncated.avro");
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length * 3 / 5)]);
        // The last block's sync marker, zeroed: the block cannot be told from garbage.
        var corrupted = Path.Combine(_scratch, "corrupted.avro");
        var flipped = (byte[])bytes.Clone();
        Array.Clear(flipped, flipped.Length - 16, 16);
        await File.WriteAllBytesAsync(corrupted, flipped);

        foreach (var path in new[] { truncated, corrupted })
        {
            var (code, output, report) = await ReplayAsync(["--input", path], "--model-dir", TestPaths.PyTorchFixtures);

            Assert.Equal(ForensicsCommands.Failed, code);
            Assert.Equal("incomplete", report["mode"]!.GetValue<string>());
            Assert.Equal(1, report["unreadable"]!.GetValue<long>());
            Assert.Contains("is not readable", output, StringComparison.Ordinal);
            Assert.Contains("in the block at byte", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at Avro", output, StringComparison.Ordinal);
            Assert.InRange(report["read"]!.GetValue<long>(), 0, run.Forensics.Count - 1);
        }

        // A topic with one record that does not decode among good ones.
        var topic = await kafka.CreateTopicAsync("replay-unreadable");
        var serde = new ContractSerde<DecisionForensics>(kafka.Registry);
        using (var producer = kafka.CreateProducer())
        {
            foreach (var record in run.Forensics.Take(3))
            {
                var value = await serde.SerializeAsync(record, topic);
                await producer.ProduceAsync(
                    topic,
                    new Confluent.Kafka.Message<string, byte[]> { Key = record.decision.symbol, Value = value }
                );
            }

            await producer.ProduceAsync(
                topic,
                new Confluent.Kafka.Message<string, byte[]> { Key = "X", Value = "not avro"u8.ToArray() }
            );
        }

        var fromTopic = await ReplayAsync(
            ["--bootstrap", kafka.BootstrapServers, "--registry", kafka.SchemaRegistryUrl, "--topic", topic],
            "--model-dir",
            TestPaths.PyTorchFixtures
        );
        Assert.Equal(ForensicsCommands.Failed, fromTopic.Code);
        Assert.Equal("incomplete", fromTopic.Report["mode"]!.GetValue<string>());
        Assert.Equal(3, fromTopic.Report["read"]!.GetValue<long>());
        Assert.Equal(1, fromTopic.Report["unreadable"]!.GetValue<long>());
        Assert.Contains($"replay: unreadable {topic} [[0]] @3", fromTopic.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMixtureRunReplaysIdenticallyWithEverySpecialistsOutputs()
    {
        var market = await RecordedMarket.ProduceAsync(kafka, 150, seed: 12);
        var run = await PipelineRun.ExecuteAsync(
            kafka,
            market,
            EndToEndTests.ExpectedBars(market).Values.Sum(b => b.Count),
            "Mixture"
        );
        Assert.All(run.Forensics, f => Assert.Equal(3, f.model_outputs.Count));

        var (code, output, report) = await ReplayAsync(
            Topic(run),
            "--model-dir",
            TestPaths.PyTorchFixtures,
            "--Inference:Selection",
            "Mixture"
        );

        Assert.True(code == 0, output);
        Assert.Equal("faithful", report["mode"]!.GetValue<string>());
        Assert.Equal(run.Forensics.Count, report["identical"]!.GetValue<long>());
    }

    [Fact]
    public async Task ASectorMappedRunRecordsTheBookEachDecisionSawAndReplaysIdentically()
    {
        var market = await RecordedMarket.ProduceAsync(kafka, 150, seed: 13);
        string[] sectors =
        [
            // CCC and DDD share a partition by murmur2 (the co-partitioning contract), so their books meet.
            "--Risk:Sectors:AAA",
            "tech",
            "--Risk:Sectors:CCC",
            "tech",
            "--Risk:Sectors:DDD",
            "tech",
            "--Risk:ConcentrationLimit",
            "0.005",
        ];
        var trained = State.StreamHarness.TrainedModels;
        var run = await PipelineRun.ExecuteAsync(
            kafka,
            market,
            EndToEndTests.ExpectedBars(market).Values.Sum(b => b.Count),
            "Argmax",
            [.. sectors, "--Models:Directory", trained]
        );

        // BBB is not in the map: its own sector and book, as before.
        Assert.All(run.Forensics, f => Assert.Equal(f.decision.symbol == "BBB" ? null : "tech", f.risk_inputs.sector));
        Assert.All(
            run.Forensics.Where(f => f.decision.symbol == "BBB"),
            f => Assert.Null(f.risk_inputs.book_peer_value)
        );
        // Four symbols on three partitions: some mapped symbols share one, and see each other's accounts.
        Assert.Contains(run.Forensics, f => f.risk_inputs.book_peer_value > 0);
        Assert.True(
            run.Forensics.Any(f => f.decision.risk.checks.concentration != RiskCheckStatus.PASS),
            "no concentration check warned; proposed actions: "
                + string.Join(", ", run.Forensics.CountBy(f => f.decision.proposed_action))
        );

        var (code, output, report) = await ReplayAsync(Topic(run), ["--model-dir", trained, .. sectors]);

        Assert.True(code == 0, output);
        Assert.Equal("faithful", report["mode"]!.GetValue<string>());
        Assert.Equal(run.Forensics.Count, report["identical"]!.GetValue<long>());
    }

    [Fact]
    public async Task ARecordWithoutRiskInputsIsReportedAndNotGuessed()
    {
        var run = await RecordedAsync();
        var records = run.Forensics.OrderBy(f => f.decision.decision_id, StringComparer.Ordinal).ToList();
        var old = ForensicsFiles.FromJson(ForensicsFiles.ToJson(records[0]));
        old.risk_inputs = null; // as written before forensics schema version 2
        var path = Path.Combine(_scratch, "v1.jsonl");
        await File.WriteAllLinesAsync(
            path,
            records.Skip(1).Select(ForensicsFiles.ToJson).Prepend(ForensicsFiles.ToJson(old))
        );

        var (code, output, report) = await ReplayAsync(["--input", path], "--model-dir", TestPaths.PyTorchFixtures);

        Assert.True(code == 0, output);
        Assert.Equal(1, report["not_replayable"]!.GetValue<long>());
        Assert.Equal(records.Count - 1, report["identical"]!.GetValue<long>());
        var problem = Assert.Single(report["problems"]!.AsArray())!.GetValue<string>();
        Assert.StartsWith(old.decision.decision_id, problem, StringComparison.Ordinal);
        Assert.Contains("risk inputs", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SymbolAndTimeFiltersSelectTheMatchingDecisions()
    {
        var run = await RecordedAsync();
        var symbol = run.Forensics[0].decision.symbol;
        var times = run.Forensics.Select(f => f.decision.bar_end).Distinct().Order().ToList();
        var (from, to) = (times[times.Count / 4], times[times.Count / 2]);
        var expected = run.Forensics.Count(f =>
            f.decision.symbol == symbol && f.decision.bar_end >= from && f.decision.bar_end < to
        );
        Assert.InRange(expected, 1, run.Forensics.Count - 1);

        var (code, output, report) = await ReplayAsync(
            [.. Topic(run), "--symbol", symbol.ToLowerInvariant(), "--from", Iso(from), "--to", Iso(to)],
            "--model-dir",
            TestPaths.PyTorchFixtures
        );

        Assert.True(code == 0, output);
        Assert.Equal(expected, report["read"]!.GetValue<long>());
        Assert.Equal(expected, report["identical"]!.GetValue<long>());
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private async Task<PipelineRun> RecordedAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_recorded is null)
            {
                var market = await RecordedMarket.ProduceAsync(kafka, 300, seed: 11);
                var expected = EndToEndTests.ExpectedBars(market).Values.Sum(b => b.Count);
                _recorded = await PipelineRun.ExecuteAsync(kafka, market, expected);
            }

            return _recorded;
        }
        finally
        {
            Gate.Release();
        }
    }

    private string[] Topic(PipelineRun run) =>
        ["--bootstrap", kafka.BootstrapServers, "--registry", kafka.SchemaRegistryUrl, "--topic", run.ForensicsTopic];

    private async Task<(int Code, string Output, JsonNode Report)> ReplayAsync(string[] source, params string[] options)
    {
        var reportPath = Path.Combine(_scratch, Guid.NewGuid().ToString("N") + ".jsonl");
        var (code, output) = await ForensicsCli.InvokeAsync([
            "replay",
            .. source,
            .. RunConfiguration,
            .. options,
            "--output",
            reportPath,
            "--Inference:Device",
            "cpu",
        ]); // later settings win
        Assert.True(File.Exists(reportPath), output);
        var lines = File.ReadAllLines(reportPath);
        var summary = JsonNode.Parse(lines[^1])!;
        Assert.Equal("summary", summary["type"]!.GetValue<string>());
        Assert.Equal(lines.Length - 1, summary["summary"]!["differences"]!.AsArray().Count);
        return (code, output, summary["summary"]!);
    }

    // The specialist that decided the fewest of the recorded decisions, but at least one.
    private static string ModelThatMadeSomeDecisions(PipelineRun run) =>
        run
            .Forensics.GroupBy(f => f.decision.selected_model)
            .OrderBy(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .First()
            .Key;

    // A copy of the fixture models in which one model leans towards BUY: every row it scores changes.
    private string ModelsWithOneChanged(string model)
    {
        var directory = Path.Combine(_scratch, "models-" + Guid.NewGuid().ToString("N"));
        foreach (
            var file in Directory.GetFiles(TestPaths.PyTorchFixtures, "best_model.pth", SearchOption.AllDirectories)
        )
        {
            var target = Path.Combine(directory, Path.GetRelativePath(TestPaths.PyTorchFixtures, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var path = Path.Combine(ModelNames.FolderOf(directory, model), ModelNames.CheckpointFile);
        var (state, _) = CheckpointReader.Read(path);
        using var network = new PolicyNetwork(43);
        using (no_grad())
        {
            state["actor.2.bias"].add_(tensor(new float[] { 0f, 0.3f, -0.3f }));
        }

        network.load_state_dict(state);
        File.Delete(path);
        network.save_py(path);
        return directory;
    }

    private static DecisionForensics Tamper(DecisionForensics record)
    {
        var copy = ForensicsFiles.FromJson(ForensicsFiles.ToJson(record));
        copy.decision.confidence = Math.BitIncrement(copy.decision.confidence);
        return copy;
    }

    private static string Iso(DateTime time) =>
        DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
