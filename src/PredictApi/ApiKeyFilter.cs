using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// Requires a valid <c>X-API-Key</c> when <c>Api:Keys</c> is configured. Keys are compared as
/// SHA-256 digests in constant time, and never logged.
/// </summary>
public sealed class ApiKeyFilter : IEndpointFilter
{
    private readonly byte[][] _digests;

    public ApiKeyFilter(IOptions<ApiOptions> options) =>
        _digests = [.. options.Value.Keys.Where(k => !string.IsNullOrEmpty(k)).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_digests.Length == 0 || IsValid(context.HttpContext.Request.Headers[ApiOptions.KeyHeader].ToString()))
        {
            return await next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "ApiKey header=\"" + ApiOptions.KeyHeader + "\"";
        return Results.Problem(
            title: "Unauthorized",
            detail: $"A valid API key is required in the {ApiOptions.KeyHeader} header.",
            statusCode: StatusCodes.Status401Unauthorized);
    }

    private bool IsValid(string presented)
    {
        if (presented.Length == 0)
        {
            return false;
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var valid = false;
        foreach (var candidate in _digests)
        {
            // No early exit: the time taken does not depend on which key matched.
            valid |= CryptographicOperations.FixedTimeEquals(candidate, digest);
        }

        return valid;
    }
}
