using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// Requires a valid <c>X-API-Key</c> when <c>Api:Keys</c> is configured (401 with
/// <c>WWW-Authenticate</c> otherwise). Failed attempts count against the caller's address under
/// <c>Api:RateLimit:FailedAuthPerMinute</c>; beyond it they get 429 with <c>Retry-After</c>, so
/// keys cannot be guessed at speed.
/// </summary>
/// <remarks>ASP.NET Core creates endpoint filters per request: the failure counts live in the <see cref="FailedAuthLimiter"/> singleton.</remarks>
public sealed class ApiKeyFilter(ApiKeys keys, FailedAuthLimiter failures) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!keys.Required || keys.Identify(http.Request.Headers[ApiOptions.KeyHeader].ToString()) is not null)
        {
            return await next(context);
        }

        if (failures.Fail("ip:" + http.Connection.RemoteIpAddress) is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Results.Problem(
                type: "https://tools.ietf.org/html/rfc6585#section-4",
                title: "Too many failed authentications",
                detail: "Too many requests from this address failed authentication (Api:RateLimit:FailedAuthPerMinute).",
                statusCode: StatusCodes.Status429TooManyRequests);
        }

        http.Response.Headers.WWWAuthenticate = "ApiKey header=\"" + ApiOptions.KeyHeader + "\"";
        return Results.Problem(
            title: "Unauthorized",
            detail: $"A valid API key is required in the {ApiOptions.KeyHeader} header.",
            statusCode: StatusCodes.Status401Unauthorized);
    }
}
