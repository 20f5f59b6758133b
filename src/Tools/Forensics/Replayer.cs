using System.Globalization;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Decisions;

namespace Inference.Streaming.Tools.Forensics;

/// <summary>
/// Re-runs recorded decisions: each record's features go through the models of the replay's
/// model set, its recorded regime and selection through the same <see cref="DecisionFunction"/>
/// and <see cref="DecisionAssembler.Decide"/> the live pipeline uses, against the portfolio the record
/// says the risk checks saw. Each decision is re-run on its own, from its own record: a what-if
/// does not carry a changed action into the next bar's portfolio.
/// </summary>
/// <remarks>
/// With a <paramref name="challenger"/> set (an experiment's), each record is re-run by the set that made it, found
/// by its <c>model_version</c>: the champion's and the challenger's decisions (live, A/B or shadow) both replay
/// faithfully. A record neither set made is a what-if on the champion's.
/// </remarks>
public sealed class Replayer(
    ModelSet models,
    DecisionAssembler assembler,
    DecisionFunction rules,
    int batchSize = 256,
    ModelSet? challenger = null
)
{
    private readonly string _challengerVersion = challenger is null ? "" : DecisionIds.ModelSet(challenger.Fingerprint);

    /// <summary>The set that made <paramref name="record"/>: the challenger's when its id matches, else the
    /// champion's.</summary>
    private ModelSet SetFor(DecisionForensics record) =>
        challenger is not null && record.decision.model_version == _challengerVersion ? challenger : models;

    private readonly Dictionary<string, SortedSet<string>> _recordedSha = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _recordedConfigs = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _recordedDetectors = new(StringComparer.Ordinal);
    private readonly List<int> _widths = [.. models.Models.Values.Select(m => m.Info.InputWidth).Distinct()];

    public async Task<ReplayReport> RunAsync(
        IAsyncEnumerable<DecisionForensics> records,
        CancellationToken cancellationToken
    )
    {
        var report = new ReplayReport();
        var batch = new List<DecisionForensics>(batchSize);
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            batch.Add(record);
            if (batch.Count == batchSize)
            {
                Replay(batch, report);
                batch.Clear();
            }
        }

        Replay(batch, report);
        Summarise(report);
        return report;
    }

    private void Replay(List<DecisionForensics> records, ReplayReport report)
    {
        var replayable = new List<(DecisionForensics Record, DecisionContext Context, RowPlan Plan, int Width)>(
            records.Count
        );
        foreach (var record in records)
        {
            report.Read++;
            foreach (var output in record.model_outputs)
            {
                Recorded(output.model).Add(output.sha256);
            }

            _recordedConfigs.Add(record.config_fingerprint);
            _recordedDetectors.Add(DetectorIdentity(record.regime_detector));
            var known = DecisionPolicy.TryParseStrategy(record.decision.selection, out var strategy);
            if (Problem(record, known) is { } problem)
            {
                report.NotReplayable++;
                report.Problems.Add(
                    $"{record.decision.decision_id} ({record.decision.symbol} {Iso(record.decision.bar_end)}): "
                        + $"{problem}"
                );
                continue;
            }

            var regime = new RegimeState(
                record.decision.regime.bull,
                record.decision.regime.bear,
                record.decision.regime.sideways,
                record.decision.regime.entropy
            );
            var book = record.risk_inputs is { sector: { } sector } inputs
                ? new SectorBook(sector, inputs.sector_peer_position_value ?? 0, inputs.book_peer_value ?? 0)
                : SectorBook.Alone;
            var route = rules.Route(record.decision.symbol, regime, strategy);
            var context = new DecisionContext(
                record.decision.symbol,
                Ms(record.decision.bar_start),
                Ms(record.decision.bar_end),
                regime,
                route.Weights,
                route.Strategy,
                book
            );
            replayable.Add((record, context, route.Plan, record.features.Count));
        }

        // Rows of one set and width go through the engine together; the float64 engine gives every row the same
        // outputs whatever its batch.
        foreach (var group in replayable.GroupBy(r => (Set: SetFor(r.Record), r.Width)))
        {
            var rows = group.ToList();
            var (set, width) = group.Key;
            var features = new float[rows.Count * width];
            var plans = new RowPlan[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                rows[i].Record.features.ToArray().CopyTo(features, i * width);
                plans[i] = rows[i].Plan;
            }

            var results = InferenceEngine.Run(set, features, width, plans);
            for (var i = 0; i < rows.Count; i++)
            {
                Compare(rows[i].Record, rows[i].Context, results[i], set, report);
            }
        }
    }

    private string? Problem(DecisionForensics record, bool knownStrategy)
    {
        if (record.feature_layout != Observation.Layout)
        {
            return $"feature layout '{record.feature_layout}' is not {Observation.Layout}";
        }

        if (record.risk_inputs is null)
        {
            return "the record predates risk inputs (forensics schema version 1), so its risk checks cannot be re-run";
        }

        if (!knownStrategy)
        {
            return $"selection '{record.decision.selection}' is not a known strategy";
        }

        return models.Models.Count == 0 ? "no model is loaded"
            : _widths.Count == 1 && _widths[0] != record.features.Count
                ? $"{record.features.Count} features, but the replay models take {_widths[0]}"
            : null;
    }

    private void Compare(
        DecisionForensics record,
        DecisionContext context,
        RowResult result,
        ModelSet models,
        ReplayReport report
    )
    {
        if (!result.Succeeded)
        {
            report.Problems.Add(
                $"{record.decision.decision_id}: no model could decide it: {result.Failure}: {result.FailureDetail}"
            );
            return;
        }

        var inputs = record.risk_inputs!;
        var portfolio = new PaperPortfolio(inputs.initial_capital);
        portfolio.Restore(inputs.initial_capital, inputs.cash, inputs.shares, day: -1, inputs.day_open_value);
        var (replayed, _) = assembler.Decide(context, result, models.Fingerprint, portfolio, inputs.close);
        var outputs = DecisionAssembler.ModelOutputs(result, models);

        var sameModels =
            record.model_outputs.All(o => models.Models.TryGetValue(o.model, out var m) && m.Info.Sha256 == o.sha256)
            && outputs.All(o => record.model_outputs.Any(r => r.model == o.model));
        // The recorded model_version names the whole model set the worker had loaded: another set
        // (even one whose change this decision did not use) re-identifies the decision.
        var sameSet = record.decision.model_version == replayed.model_version;
        var expected = !sameModels || !sameSet || record.config_fingerprint != assembler.ConfigFingerprint;
        if (expected)
        {
            report.WhatIf++;
        }

        var fields = new List<FieldDifference>();
        var recorded = record.decision;
        if (!expected)
        {
            // A decision's id and version name its model set; a what-if has another set, so new ids by design.
            Field(fields, "decision_id", recorded.decision_id, replayed.decision_id);
            Field(fields, "model_version", recorded.model_version, replayed.model_version);
        }

        Field(fields, "proposed_action", recorded.proposed_action.ToString(), replayed.proposed_action.ToString());
        Field(fields, "action", recorded.action.ToString(), replayed.action.ToString());
        Field(fields, "confidence", recorded.confidence, replayed.confidence);
        Field(
            fields,
            "recommended_quantity",
            recorded.recommended_quantity.ToString(CultureInfo.InvariantCulture),
            replayed.recommended_quantity.ToString(CultureInfo.InvariantCulture)
        );
        Field(fields, "selected_model", recorded.selected_model, replayed.selected_model);
        Field(
            fields,
            "strategy_weights.bull_specialist",
            recorded.strategy_weights.bull_specialist,
            replayed.strategy_weights.bull_specialist
        );
        Field(
            fields,
            "strategy_weights.bear_specialist",
            recorded.strategy_weights.bear_specialist,
            replayed.strategy_weights.bear_specialist
        );
        Field(
            fields,
            "strategy_weights.sideways_specialist",
            recorded.strategy_weights.sideways_specialist,
            replayed.strategy_weights.sideways_specialist
        );
        Field(fields, "risk.approved", recorded.risk.approved.ToString(), replayed.risk.approved.ToString());
        Field(
            fields,
            "risk.checks.position_limit",
            recorded.risk.checks.position_limit.ToString(),
            replayed.risk.checks.position_limit.ToString()
        );
        Field(
            fields,
            "risk.checks.concentration",
            recorded.risk.checks.concentration.ToString(),
            replayed.risk.checks.concentration.ToString()
        );
        Field(
            fields,
            "risk.checks.daily_loss_limit",
            recorded.risk.checks.daily_loss_limit.ToString(),
            replayed.risk.checks.daily_loss_limit.ToString()
        );
        Field(
            fields,
            "risk.checks.leverage",
            recorded.risk.checks.leverage.ToString(),
            replayed.risk.checks.leverage.ToString()
        );
        Field(
            fields,
            "risk.warnings",
            string.Join(" | ", recorded.risk.warnings),
            string.Join(" | ", replayed.risk.warnings)
        );
        foreach (var model in ModelNames.All)
        {
            var before = record.model_outputs.FirstOrDefault(o => o.model == model);
            var after = outputs.FirstOrDefault(o => o.model == model);
            if (before is null && after is null)
            {
                continue;
            }

            Field(
                fields,
                $"model_outputs[{model}].probabilities",
                Numbers(before?.probabilities),
                Numbers(after?.probabilities)
            );
            Field(
                fields,
                $"model_outputs[{model}].value",
                before is null ? "absent" : Number(before.value),
                after is null ? "absent" : Number(after.value)
            );
        }

        if (fields.Count == 0)
        {
            report.Identical++;
            return;
        }

        report.Different++;
        if (!expected)
        {
            report.UnexpectedDifferences++;
        }

        report.Differences.Add(
            new DecisionDifference(
                recorded.decision_id,
                recorded.symbol,
                recorded.bar_end,
                expected,
                replayed.decision_id,
                fields
            )
        );
    }

    private void Summarise(ReplayReport report)
    {
        foreach (var name in ModelNames.All)
        {
            var recorded = _recordedSha.TryGetValue(name, out var shas) ? shas.ToList() : [];
            var loaded = models.Models.TryGetValue(name, out var model) ? model.Info.Sha256 : null;
            // An experiment's records name the challenger's models too; those are the replay's as well.
            var alsoLoaded = challenger?.Models.TryGetValue(name, out var other) == true ? other.Info.Sha256 : null;
            if (recorded.Count == 0 && loaded is null)
            {
                continue;
            }

            var status = (recorded.Count, loaded) switch
            {
                (0, _) => "not recorded",
                (_, null) => "missing",
                _ when recorded.All(s => s == loaded || s == alsoLoaded) => "same",
                _ => "different",
            };
            report.Models.Add(new ModelComparison(name, status, recorded, loaded));
        }

        // Sources deliver records in different orders (partitions interleave); the report does not.
        var ordered = report
            .Differences.OrderBy(d => d.BarEnd)
            .ThenBy(d => d.Symbol, StringComparer.Ordinal)
            .ThenBy(d => d.DecisionId, StringComparer.Ordinal)
            .ToList();
        report.Differences.Clear();
        report.Differences.AddRange(ordered);
        report.Problems.Sort(StringComparer.Ordinal);
        report.Configuration = new ConfigurationComparison
        {
            Recorded = [.. _recordedConfigs],
            Replay = assembler.ConfigFingerprint,
            RecordedRegimeDetectors = [.. _recordedDetectors],
            ReplayRegimeDetector = assembler.CurrentRegimeDetector?.Identity ?? TopicRegimes,
        };
    }

    /// <summary>How a report names regimes that came from <c>regime-updates</c>.</summary>
    public const string TopicRegimes = "regime-updates";

    private static string DetectorIdentity(RegimeDetector? detector) =>
        detector is null
            ? TopicRegimes
            : new Engine.Regimes.RegimeDetectorInfo(detector.name, detector.version, detector.sha256).Identity;

    private SortedSet<string> Recorded(string model)
    {
        if (!_recordedSha.TryGetValue(model, out var set))
        {
            _recordedSha[model] = set = new SortedSet<string>(StringComparer.Ordinal);
        }

        return set;
    }

    private static void Field(List<FieldDifference> fields, string name, string recorded, string replayed)
    {
        if (!string.Equals(recorded, replayed, StringComparison.Ordinal))
        {
            fields.Add(new FieldDifference(name, recorded, replayed));
        }
    }

    private static void Field(List<FieldDifference> fields, string name, double recorded, double replayed)
    {
        if (!recorded.Equals(replayed))
        {
            fields.Add(new FieldDifference(name, Number(recorded), Number(replayed)));
        }
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Numbers(IList<double>? values) =>
        values is null ? "absent" : "[" + string.Join(", ", values.Select(Number)) + "]";

    private static long Ms(DateTime time) =>
        new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static string Iso(DateTime time) =>
        DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
}
