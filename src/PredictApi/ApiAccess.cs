using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// Who may call an endpoint that needs a scope: a valid <c>X-API-Key</c> (granting
/// <c>Api:KeyScopes</c>) or a valid JWT bearer token whose <c>scope</c>/<c>scp</c> claim names the
/// scope. With neither keys nor JWT configured the API is open. Missing or invalid credentials get
/// 401 with <c>WWW-Authenticate</c>; valid ones without the scope get 403. Failures count against
/// the caller's address (<c>Api:RateLimit:FailedAuthPerMinute</c>); beyond it they get 429 with
/// <c>Retry-After</c>, so keys and tokens cannot be guessed at speed. Keys and tokens are never logged.
/// </summary>
public sealed partial class ApiAccess(
    ApiKeys keys,
    FailedAuthLimiter failures,
    IOptions<ApiOptions> options,
    ILogger<ApiAccess> logger
)
{
    private readonly ApiOptions _options = options.Value;

    public bool Open => !keys.Required && !_options.Jwt.Enabled;

    /// <summary>Null when the request may go on; otherwise the problem to answer with.</summary>
    public async ValueTask<IResult?> AuthorizeAsync(HttpContext http, string scope)
    {
        if (Open)
        {
            return null;
        }

        var key = http.Request.Headers[ApiOptions.KeyHeader].ToString();
        var authorization = http.Request.Headers.Authorization.ToString();
        string detail;
        string? tokenError = null;
        if (key.Length > 0 && keys.Required)
        {
            if (keys.Identify(key) is not null)
            {
                return _options.EffectiveKeyScopes.Contains(scope)
                    ? null
                    : Forbidden(scope, "API keys are not granted it (Api:KeyScopes)");
            }

            detail = $"The {ApiOptions.KeyHeader} header does not hold a valid API key.";
        }
        else if (_options.Jwt.Enabled && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var result = await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
            if (result.Succeeded)
            {
                http.User = result.Principal;
                return Scopes(result.Principal).Contains(scope)
                    ? null
                    : Forbidden(scope, "the token's scope claim does not name it");
            }

            tokenError = Describe(result.Failure);
            detail = "The bearer token was refused: " + tokenError + ".";
        }
        else
        {
            detail = "Credentials are required: " + string.Join(" or ", Accepted()) + ".";
        }

        RefusedLog(logger, http.Request.Path, detail);
        if (failures.Fail("ip:" + http.Connection.RemoteIpAddress) is { } retryAfter)
        {
            RetryAfter.Set(http.Response, retryAfter);
            return Results.Problem(
                type: "https://tools.ietf.org/html/rfc6585#section-4",
                title: "Too many failed authentications",
                detail: "Too many requests from this address failed authentication "
                    + "(Api:RateLimit:FailedAuthPerMinute).",
                statusCode: StatusCodes.Status429TooManyRequests
            );
        }

        http.Response.Headers.WWWAuthenticate = Challenges(tokenError);
        return Results.Problem(title: "Unauthorized", detail: detail, statusCode: StatusCodes.Status401Unauthorized);
    }

    /// <summary>The scopes a token grants: the space-separated <c>scope</c> claim (RFC 8693) and <c>scp</c> (Entra ID,
    /// Okta).</summary>
    public static HashSet<string> Scopes(ClaimsPrincipal principal) =>
        principal
            .FindAll("scope")
            .Concat(principal.FindAll("scp"))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);

    private IEnumerable<string> Accepted()
    {
        if (keys.Required)
        {
            yield return $"an API key in the {ApiOptions.KeyHeader} header";
        }

        if (_options.Jwt.Enabled)
        {
            yield return "a bearer token in the Authorization header";
        }
    }

    private StringValues Challenges(string? tokenError)
    {
        var challenges = new List<string>();
        if (_options.Jwt.Enabled)
        {
            challenges.Add(
                tokenError is null ? "Bearer" : $"Bearer error=\"invalid_token\", error_description=\"{tokenError}\""
            );
        }

        if (keys.Required)
        {
            challenges.Add("ApiKey header=\"" + ApiOptions.KeyHeader + "\"");
        }

        return new StringValues([.. challenges]);
    }

    private static IResult Forbidden(string scope, string why) =>
        Results.Problem(
            title: "Forbidden",
            detail: $"This endpoint needs the '{scope}' scope; {why}.",
            statusCode: StatusCodes.Status403Forbidden
        );

    /// <summary>Why a token was refused, in words safe to send back (no token content).</summary>
    private static string Describe(Exception? failure) =>
        failure switch
        {
            SecurityTokenExpiredException => "the token has expired",
            SecurityTokenNoExpirationException => "the token has no expiry ('exp')",
            NumericDateException numeric => numeric.Message,
            SecurityTokenNotYetValidException => "the token is not valid yet",
            SecurityTokenInvalidAudienceException => "the token was issued for another audience",
            SecurityTokenInvalidIssuerException => "the token's issuer is not trusted",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
                "the token's signature is not valid",
            SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not accepted",
            SecurityTokenMalformedException => "the token is malformed",
            null => "the token could not be read",
            _ => "the token is not valid",
        };

    [LoggerMessage(EventId = 9002, Level = LogLevel.Debug, Message = "Refused a request to {Path}: {Reason}")]
    private static partial void RefusedLog(ILogger logger, PathString path, string reason);
}

/// <summary>Puts an endpoint behind <see cref="ApiAccess"/>.</summary>
public static class ApiAccessExtensions
{
    public static RouteHandlerBuilder RequireApiScope(this RouteHandlerBuilder builder, string scope) =>
        builder.AddEndpointFilter(
            async (context, next) =>
                await context
                    .HttpContext.RequestServices.GetRequiredService<ApiAccess>()
                    .AuthorizeAsync(context.HttpContext, scope)
                    is { } refused
                    ? refused
                    : await next(context)
        );
}
