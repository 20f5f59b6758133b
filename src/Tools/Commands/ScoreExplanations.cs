using System.Text.Json;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Tools.Commands;

/// <summary><c>score --explain METHOD</c>: each row's attributions of the probability of the action the model
/// proposes, by integrated gradients or expected gradients (against <c>background.json</c> of the model directory),
/// as predict gives them.</summary>
internal static class ScoreExplanations
{
    public static readonly string[] Methods = [IntegratedGradients.Method, IntegratedGradients.ExpectedMethod];

    /// <summary>Writes <c>"explanations": [...]</c>, one per row.</summary>
    /// <exception cref="InvalidOperationException">Expected gradients without a background set.</exception>
    public static void Write(
        Utf8JsonWriter json,
        ModelSet set,
        string model,
        float[] features,
        int width,
        RowResult[] results,
        string method
    )
    {
        var plan = RowPlan.ForModel(model);
        var expected = method == IntegratedGradients.ExpectedMethod;
        json.WriteStartArray("explanations");
        for (var r = 0; r < results.Length; r++)
        {
            var row = features.AsSpan(r * width, width);
            var action = DecisionPolicy.Act([.. results[r].Probabilities]).Action;
            var result = expected
                ? IntegratedGradients.ExplainExpected(set, row, plan, model, (int)action)
                : IntegratedGradients.Explain(set, row, plan, model, (int)action);
            json.WriteStartObject();
            json.WriteString("method", method);
            json.WriteString(
                "baseline",
                expected
                    ? $"background: {result.Baselines} of the {set.Background!.Count} rows of {BackgroundSet.FileName}"
                    : IntegratedGradients.Baseline
            );
            json.WriteNumber("steps", result.Steps);
            json.WriteString("target", $"probability of {action}");
            json.WriteNumber("output", result.Output);
            json.WriteNumber("baseline_output", result.BaselineOutput);
            json.WriteNumber("completeness_gap", result.CompletenessGap);
            json.WriteStartArray("attributions");
            for (var i = 0; i < result.Attributions.Length; i++)
            {
                json.WriteStartObject();
                json.WriteString("feature", width == Observation.Width ? Observation.FeatureNames[i] : $"x{i}");
                json.WriteNumber("value", row[i]);
                json.WriteNumber("attribution", result.Attributions[i]);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
