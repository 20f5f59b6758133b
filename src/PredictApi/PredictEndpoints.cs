using System.Diagnostics;
using System.Text.Json;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Contracts.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// <c>POST /api/v1/predict</c> with the seed's contract: 422 invalid request, 400 unknown strategy
/// override, 403 risk rejection (with <c>X-Risk-Warnings</c>), 404 no state for the symbol, 503
/// models not ready; every error as RFC 7807 problem details. The body is read and validated
/// before any work is done.
/// </summary>
public static class PredictEndpoints
{
    public const string RateLimitPolicy = "predict";
    public const string RiskWarningsHeader = "X-Risk-Warnings";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { AllowTrailingCommas = false };

    public static IEndpointRouteBuilder MapPredictApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/predict", PredictAsync)
            .WithName("Predict")
            .WithTags("Predict")
            // Not .Accepts<>(): its content-type matching answers 415, and the seed answers 422.
            .AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            {
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(PredictRequest), null, cancellationToken) },
                    },
                };
            })
            .Produces<PredictResponse>()
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddEndpointFilter<ApiKeyFilter>()
            .RequireRateLimiting(RateLimitPolicy);
        return routes;
    }

    private static async Task<IResult> PredictAsync(HttpContext context, IPredictionService predictions, PredictMetrics metrics, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        metrics.Started();
        var status = "error";
        try
        {
            var result = await HandleAsync(context, predictions, options.Value, cancellationToken);
            status = result is IStatusCodeHttpResult { StatusCode: { } code } && code != StatusCodes.Status200OK ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "success";
            return result;
        }
        finally
        {
            metrics.Finished(status, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task<IResult> HandleAsync(HttpContext context, IPredictionService predictions, ApiOptions options, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
        {
            return TooLarge(options);
        }

        // Chunked bodies without a length are cut off by the server at the same limit.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxRequestBodyBytes;
        }

        if (!context.Request.HasJsonContentType())
        {
            return Invalid("body", "The body must be JSON (Content-Type: application/json).");
        }

        PredictRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<PredictRequest>(context.Request.Body, Json, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Invalid(ex.Path is { Length: > 2 } path ? path[2..] : "body", "The body is not a valid predict request: " + ex.Message);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(options);
        }

        if (request is null || string.IsNullOrWhiteSpace(request.Symbol))
        {
            return Invalid("symbol", "symbol is required.");
        }

        // The same rule as the stream's topics, so every symbol the stream holds can be asked for.
        if (SymbolName.Normalise(request.Symbol) is not { } symbol)
        {
            return Invalid("symbol", $"symbol must be {SymbolName.Rule}.");
        }

        var result = await predictions.PredictAsync(symbol, request, cancellationToken);
        switch (result.Outcome)
        {
            case PredictionOutcome.Ok:
                return Results.Ok(result.Response);
            case PredictionOutcome.RiskRejected:
                context.Response.Headers[RiskWarningsHeader] = string.Join("; ", result.Response!.RiskValidation.Warnings);
                return Results.Problem(new ProblemDetails
                {
                    Title = "Risk check failed",
                    Detail = result.Detail,
                    Status = StatusCodes.Status403Forbidden,
                    Extensions = { ["risk_validation"] = result.Response.RiskValidation, ["decision_id"] = result.Response.DecisionId },
                });
            case PredictionOutcome.TimestampOutsideState:
                return Invalid("timestamp", result.Detail!);
            default:
                var (code, title) = result.Outcome switch
                {
                    PredictionOutcome.UnknownStrategy => (StatusCodes.Status400BadRequest, "Unknown strategy override"),
                    PredictionOutcome.NoState => (StatusCodes.Status404NotFound, "No state for symbol"),
                    _ => (StatusCodes.Status503ServiceUnavailable, "Models not ready"),
                };
                return Results.Problem(title: title, detail: result.Detail, statusCode: code);
        }
    }

    private static IResult TooLarge(ApiOptions options) =>
        Results.Problem(title: "Request body too large", detail: $"The body exceeds {options.MaxRequestBodyBytes} bytes (Api:MaxRequestBodyBytes).", statusCode: StatusCodes.Status413PayloadTooLarge);

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [message] },
            title: "Invalid request",
            statusCode: StatusCodes.Status422UnprocessableEntity);
}
