using System.Diagnostics;
using System.Text.Json;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Contracts.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    // A key given twice ({"symbol": "AAPL", "SYMBOL": "MSFT"}) is refused, not last-one-wins.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = false,
        AllowDuplicateProperties = false,
    };

    // What each field must be, in JSON's words (System.Text.Json's messages name .NET types).
    private static readonly Dictionary<string, string> JsonTypes = new(StringComparer.Ordinal)
    {
        ["symbol"] = "a string",
        ["timestamp"] = "an ISO-8601 date-time string",
        ["strategy_override"] = "a string",
        ["risk_check"] = "a boolean",
        ["explain"] = "a boolean",
        ["explain_method"] = "a string",
        ["arm"] = "a string",
    };

    public static IEndpointRouteBuilder MapPredictApi(this IEndpointRouteBuilder routes)
    {
        routes
            .MapPost("/api/v1/predict", PredictAsync)
            .WithName("Predict")
            .WithTags("Predict")
            // Not .Accepts<>(): its content-type matching answers 415, and the seed answers 422.
            .AddOpenApiOperationTransformer(
                async (operation, context, cancellationToken) =>
                {
                    operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                        {
                            ["application/json"] = new()
                            {
                                Schema = await context.GetOrCreateSchemaAsync(
                                    typeof(PredictRequest),
                                    null,
                                    cancellationToken
                                ),
                            },
                        },
                    };
                }
            )
            .Produces<PredictResponse>()
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireApiScope(ApiScopes.Predict)
            .RequireRateLimiting(RateLimitPolicy);
        return routes;
    }

    private static async Task<IResult> PredictAsync(
        HttpContext context,
        IPredictionService predictions,
        PredictMetrics metrics,
        IOptions<ApiOptions> options,
        ILoggerFactory loggers,
        CancellationToken cancellationToken
    )
    {
        var started = Stopwatch.GetTimestamp();
        metrics.Started();
        var status = "error";
        try
        {
            var result = await HandleAsync(
                context,
                predictions,
                options.Value,
                loggers.CreateLogger(typeof(PredictEndpoints).FullName!),
                cancellationToken
            );
            status =
                result is IStatusCodeHttpResult { StatusCode: { } code } && code != StatusCodes.Status200OK
                    ? code.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "success";
            return result;
        }
        finally
        {
            metrics.Finished(status, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context,
        IPredictionService predictions,
        ApiOptions options,
        ILogger logger,
        CancellationToken cancellationToken
    )
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
            request = await JsonSerializer.DeserializeAsync<PredictRequest>(
                context.Request.Body,
                Json,
                cancellationToken
            );
        }
        catch (JsonException ex)
        {
            var written = ex.Path is { Length: > 2 } path ? path[2..] : "body";
            // Keys match case-insensitively: report the contract's spelling of the field.
            var field =
                JsonTypes.Keys.FirstOrDefault(k => k.Equals(written, StringComparison.OrdinalIgnoreCase)) ?? written;
            return Invalid(field, JsonProblem(ex, field));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(options);
        }
        catch (BadHttpRequestException ex)
        {
            // Malformed chunked encoding, a body that stalls past the read timeout: the client's fault,
            // answered as such and logged quietly (no stack trace).
            PredictLog.BadRequestBody(logger, ex.StatusCode, ex.Message);
            return ex.StatusCode == StatusCodes.Status408RequestTimeout
                ? Results.Problem(
                    title: "Request timeout",
                    detail: "The request body did not arrive in time.",
                    statusCode: StatusCodes.Status408RequestTimeout
                )
                : Results.Problem(
                    title: "Bad request",
                    detail: "The request body could not be read: " + ex.Message,
                    statusCode: StatusCodes.Status400BadRequest
                );
        }
        catch (Exception ex)
            when (ex is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-body: nobody is left to answer.
            PredictLog.ClientAborted(logger, ex.GetType().Name);
            return Results.Empty;
        }
        catch (IOException ex)
        {
            // Kestrel reports some malformed bodies as plain IOExceptions (a chunk size that overflows).
            PredictLog.BadRequestBody(logger, StatusCodes.Status400BadRequest, ex.Message);
            return Results.Problem(
                title: "Bad request",
                detail: "The request body could not be read: " + ex.Message,
                statusCode: StatusCodes.Status400BadRequest
            );
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

        if (request.Arm is { } arm)
        {
            if (arm is not ("champion" or "challenger"))
            {
                return Invalid("arm", "arm must be 'champion' or 'challenger'.");
            }

            // Choosing the arm overrides the experiment's split: a model operator's right, not a trading client's.
            var access = context.RequestServices.GetRequiredService<ApiAccess>();
            if (await access.AuthorizeAsync(context, ApiScopes.ModelsWrite) is { } refused)
            {
                return refused;
            }
        }

        var result = await predictions.PredictAsync(symbol, request, cancellationToken);
        switch (result.Outcome)
        {
            case PredictionOutcome.Ok:
                return Results.Ok(result.Response);
            case PredictionOutcome.RiskRejected:
                context.Response.Headers[RiskWarningsHeader] = string.Join(
                    "; ",
                    result.Response!.RiskValidation.Warnings
                );
                return Results.Problem(
                    new ProblemDetails
                    {
                        Title = "Risk check failed",
                        Detail = result.Detail,
                        Status = StatusCodes.Status403Forbidden,
                        Extensions =
                        {
                            ["risk_validation"] = result.Response.RiskValidation,
                            ["decision_id"] = result.Response.DecisionId,
                            // Which bar was refused, and whose state refused it (a fleet answers from any instance).
                            ["bar_end"] = result.Response.Metadata.BarEnd,
                            ["served_by"] = result.Response.Metadata.ServedBy,
                        },
                    }
                );
            case PredictionOutcome.TimestampOutsideState:
                return Invalid("timestamp", result.Detail!);
            case PredictionOutcome.StateCatchingUp:
                context.Response.Headers.RetryAfter = "1";
                return Results.Problem(
                    title: "State catching up",
                    detail: result.Detail,
                    statusCode: StatusCodes.Status503ServiceUnavailable
                );
            default:
                var (code, title) = result.Outcome switch
                {
                    PredictionOutcome.UnknownStrategy => (StatusCodes.Status400BadRequest, "Unknown strategy override"),
                    PredictionOutcome.UnknownExplainMethod => (
                        StatusCodes.Status400BadRequest,
                        "Unknown explanation method"
                    ),
                    PredictionOutcome.ExplanationUnavailable => (
                        StatusCodes.Status422UnprocessableEntity,
                        "Explanation unavailable"
                    ),
                    PredictionOutcome.NoState => (StatusCodes.Status404NotFound, "No state for symbol"),
                    _ => (StatusCodes.Status503ServiceUnavailable, "Models not ready"),
                };
                return Results.Problem(title: title, detail: result.Detail, statusCode: code);
        }
    }

    private static string JsonProblem(JsonException ex, string field)
    {
        if (
            ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
            || ex.Message.Contains("duplicate", StringComparison.Ordinal)
        )
        {
            return $"The body gives '{field}' more than once (keys are matched case-insensitively).";
        }

        if (
            JsonTypes.TryGetValue(field, out var expected)
            && ex.Message.Contains("could not be converted", StringComparison.Ordinal)
        )
        {
            return $"{field} must be {expected}.";
        }

        // Anything else: the reader's position, without .NET type names.
        var line = ex.LineNumber is { } l ? $" (line {l + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;
        return "The body is not valid JSON for a predict request" + line + ".";
    }

    private static IResult TooLarge(ApiOptions options) =>
        Results.Problem(
            title: "Request body too large",
            detail: $"The body exceeds {options.MaxRequestBodyBytes} bytes (Api:MaxRequestBodyBytes).",
            statusCode: StatusCodes.Status413PayloadTooLarge
        );

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [message] },
            title: "Invalid request",
            statusCode: StatusCodes.Status422UnprocessableEntity
        );
}
