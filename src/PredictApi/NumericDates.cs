using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// RFC 7519 section 2: <c>exp</c>, <c>nbf</c> and <c>iat</c> are NumericDate, a JSON number of
/// seconds. Microsoft.IdentityModel also reads a string that holds digits; a token that writes its
/// expiry as a string is not one an issuer following the RFC made, so it is refused.
/// </summary>
public static class NumericDates
{
    private static readonly string[] Claims = ["exp", "nbf", "iat"];

    public static Task CheckAsync(TokenValidatedContext context)
    {
        if (context.SecurityToken is JsonWebToken token && NotANumber(token) is { } claim)
        {
            context.Fail(new NumericDateException(claim));
        }

        return Task.CompletedTask;
    }

    private static string? NotANumber(JsonWebToken token)
    {
        using var payload = JsonDocument.Parse(
            Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token.EncodedPayload))
        );
        foreach (var claim in Claims)
        {
            if (payload.RootElement.TryGetProperty(claim, out var value) && value.ValueKind != JsonValueKind.Number)
            {
                return claim;
            }
        }

        return null;
    }
}

/// <summary>A token's time claim that is not a JSON number.</summary>
public sealed class NumericDateException(string claim)
    : SecurityTokenInvalidLifetimeException($"the token's '{claim}' is not a NumericDate (a JSON number, RFC 7519)")
{
    public string Claim { get; } = claim;
}
