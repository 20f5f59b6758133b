namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Batched inference: one forward per model per batch over exactly the rows that need it (models of one shape
/// stacked into one forward, <see cref="ForwardPass"/>), in inference mode, every tensor disposed in a scope.
/// Safe for concurrent callers: the only shared state is the leased, read-only model set (and the stacks it keeps).
/// </summary>
public static class InferenceEngine
{
    /// <summary>
    /// Scores the rows. A model that throws or returns a non-finite output for a row counts as
    /// failed for that row, as if it were not loaded: an argmax row falls back to <c>universal</c>, a
    /// mixture drops it and renormalises over the specialists left (then falls back to
    /// <c>universal</c> when none is). A row nothing can decide comes back <see cref="RowResult.Failed"/>.
    /// </summary>
    public static RowResult[] Run(ModelSet set, ReadOnlySpan<float> features, int width, ReadOnlySpan<RowPlan> plans)
    {
        var rows = plans.Length;
        if (features.Length != rows * width)
        {
            throw new ArgumentException($"{features.Length} features is not {rows} rows of {width}.", nameof(features));
        }

        if (set.Models.Count == 0)
        {
            throw new ModelsNotReadyException("No model is loaded.");
        }

        var scoring = new RowScoring(rows);
        for (var r = 0; r < rows; r++)
        {
            scoring.DecidedBy[r] = Resolve(set, plans[r]);
        }

        RunModels(set, features, width, ModelNames.All, scoring, r => scoring.DecidedBy[r]);

        // Rows whose deciding models all failed fall back to universal, once.
        var fallback = false;
        for (var r = 0; r < rows; r++)
        {
            if (
                scoring.Outputs[r] is not { Count: > 0 }
                && scoring.DecidedBy[r] is { } decided
                && decided != ModelNames.Universal
                && set.Models.ContainsKey(ModelNames.Universal)
            )
            {
                scoring.DecidedBy[r] = ModelNames.Universal;
                scoring.Fallback[r] = true;
                fallback = true;
            }
        }

        if (fallback)
        {
            RunModels(
                set,
                features,
                width,
                [ModelNames.Universal],
                scoring,
                r => scoring.Fallback[r] ? ModelNames.Universal : null
            );
        }

        var results = new RowResult[rows];
        for (var r = 0; r < rows; r++)
        {
            results[r] = scoring.Outputs[r] is { Count: > 0 } outputs
                ? Combine(plans[r], scoring.DecidedBy[r]!, outputs)
                : RowResult.Failed(
                    scoring.Reason[r] ?? DecisionFailure.NoModel,
                    scoring.Detail[r]?.ToString()
                        ?? $"no loaded model can score a row planned for '{plans[r].Model ?? "mixture"}' (nor "
                            + $"'{ModelNames.Universal}')"
                );
        }

        return results;
    }

    private static void RunModels(
        ModelSet set,
        ReadOnlySpan<float> features,
        int width,
        IReadOnlyList<string> names,
        RowScoring scoring,
        Func<int, string?> decidedBy
    )
    {
        var models = new List<LoadedModel>(names.Count);
        var rows = new List<int[]>(names.Count);
        foreach (var name in names)
        {
            if (!set.Models.TryGetValue(name, out var model))
            {
                continue;
            }

            var count = 0;
            for (var r = 0; r < scoring.Rows; r++)
            {
                if (decidedBy(r) is { } decided && Uses(decided, name))
                {
                    count++;
                }
            }

            if (count == 0)
            {
                continue;
            }

            var selected = new int[count];
            count = 0;
            for (var r = 0; r < scoring.Rows; r++)
            {
                if (decidedBy(r) is { } decided && Uses(decided, name))
                {
                    selected[count++] = r;
                }
            }

            models.Add(model);
            rows.Add(selected);
        }

        ForwardPass.Run(set, models, rows, features, width, scoring);
    }

    private static string? Resolve(ModelSet set, RowPlan plan)
    {
        if (plan.IsMixture)
        {
            if (ModelNames.Specialists.Any(set.Models.ContainsKey))
            {
                return "mixture";
            }
        }
        else if (set.Models.ContainsKey(plan.Model!))
        {
            return plan.Model!;
        }

        return set.Models.ContainsKey(ModelNames.Universal) ? ModelNames.Universal : null;
    }

    private static bool Uses(string decidedBy, string model) =>
        decidedBy == model || (decidedBy == "mixture" && ModelNames.Specialists.Contains(model));

    private static RowResult Combine(RowPlan plan, string decidedBy, List<ModelRowOutput> outputs)
    {
        if (decidedBy != "mixture")
        {
            var single = outputs[0];
            return new RowResult(
                [single.Probabilities[0], single.Probabilities[1], single.Probabilities[2]],
                single.Value,
                decidedBy,
                outputs
            );
        }

        // Weights are renormalised over the specialists that are loaded.
        var total = 0.0;
        foreach (var output in outputs)
        {
            total += plan.WeightOf(output.Model);
        }

        var probabilities = new double[PolicyNetwork.Actions];
        var value = 0.0;
        foreach (var output in outputs)
        {
            var weight = total > 0 ? plan.WeightOf(output.Model) / total : 1.0 / outputs.Count;
            for (var a = 0; a < PolicyNetwork.Actions; a++)
            {
                probabilities[a] += weight * output.Probabilities[a];
            }

            value += weight * output.Value;
        }

        return new RowResult(probabilities, value, decidedBy, outputs);
    }
}
