using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>
/// JWT bearer tokens beside API keys: tokens are minted here, with the worker's symmetric key or a
/// wrong one, and every way a token can be wrong is refused for its own reason.
/// </summary>
public sealed class JwtTests(JwtTests.Factory factory) : IClassFixture<JwtTests.Factory>
{
    private const string SigningKey = "jwt-test-signing-key-0123456789abcdef";
    private const string Issuer = "https://issuer.test";
    private const string Audience = "inference-streaming";
    private const string ApiKey = "jwt-test-api-key-predict-only";

    public sealed class Factory : WorkerFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            [
                new("DemoFeed:Enabled", "false"),
                new("Api:Jwt:SigningKey", SigningKey),
                new("Api:Jwt:Issuer", Issuer),
                new("Api:Jwt:Audience", Audience),
                new("Api:Keys:0", ApiKey),
                new("Api:KeyScopes:0", "predict"),
                new("Api:RateLimit:FailedAuthPerMinute", "0"),
                new("Logging:LogLevel:Default", "Debug"),
            ];

        protected override void Replace(IServiceCollection services) =>
            services.AddLogging(logging => logging.AddFakeLogging());
    }

    public enum Token
    {
        Valid,
        Expired,
        NotYetValid,
        WrongAudience,
        WrongIssuer,
        WrongSignature,
        AlgNone,
        Garbage,
        NoExpiry,
        ExpiryAsString,
        IssuedAtAsString,
    }

    [Theory]
    [InlineData(Token.Expired, "the token has expired")]
    [InlineData(Token.NotYetValid, "the token is not valid yet")]
    [InlineData(Token.WrongAudience, "the token was issued for another audience")]
    [InlineData(Token.WrongIssuer, "the token's issuer is not trusted")]
    [InlineData(Token.WrongSignature, "the token's signature is not valid")]
    [InlineData(Token.AlgNone, "the token's signature is not valid")]
    [InlineData(Token.Garbage, "the token is malformed")]
    [InlineData(Token.NoExpiry, "the token has no expiry ('exp')")]
    [InlineData(Token.ExpiryAsString, "the token's 'exp' is not a NumericDate (a JSON number, RFC 7519)")]
    [InlineData(Token.IssuedAtAsString, "the token's 'iat' is not a NumericDate (a JSON number, RFC 7519)")]
    public async Task ABadTokenIs401WithABearerChallengeSayingWhy(Token kind, string reason)
    {
        using var client = factory.CreateClient();
        var token = Mint(kind, "predict models:write");

        using var response = await client.SendAsync(Predict(token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate, c => c.Scheme == "Bearer");
        Assert.Equal($"error=\"invalid_token\", error_description=\"{reason}\"", challenge.Parameter);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(reason, body, StringComparison.Ordinal);
        Assert.DoesNotContain(token, body, StringComparison.Ordinal);
        AssertNeverLogged(token);
    }

    [Theory]
    [InlineData("openid predict", null)]
    [InlineData(null, "predict")]
    public async Task AValidTokenWithThePredictScopeIsLetIn(string? scope, string? scpArrayItem)
    {
        using var client = factory.CreateClient();
        await WorkerFactory.WaitUntilReadyAsync(client);
        // "scope" as a space-separated string (RFC 8693), or "scp" as an array (Entra ID, Okta).
        var token = Mint(Token.Valid, scope, scpArrayItem is null ? null : [scpArrayItem, "profile"]);

        using var response = await client.SendAsync(Predict(token));

        // Past authentication: the symbol has no state here.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AValidTokenWithoutTheScopeIs403()
    {
        using var client = factory.CreateClient();

        using var predict = await client.SendAsync(Predict(Mint(Token.Valid, "models:write")));
        using var reload = await client.SendAsync(Reload(Mint(Token.Valid, "predict")));

        Assert.Equal(HttpStatusCode.Forbidden, predict.StatusCode);
        Assert.Contains("'predict' scope", await predict.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, reload.StatusCode);
        Assert.Contains("'models:write' scope", await reload.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyTheWriteScopeMayChooseAnExperimentArm()
    {
        using var client = factory.CreateClient();
        await WorkerFactory.WaitUntilReadyAsync(client);

        using var reader = await client.SendAsync(Predict(Mint(Token.Valid, "predict"), arm: "challenger"));
        using var writer = await client.SendAsync(
            Predict(Mint(Token.Valid, "predict models:write"), arm: "challenger")
        );
        using var unknown = await client.SendAsync(Predict(Mint(Token.Valid, "predict models:write"), arm: "both"));

        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        Assert.Contains("'models:write' scope", await reader.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Past authorisation: the symbol has no state here.
        Assert.Equal(HttpStatusCode.NotFound, writer.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("arm must be", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromotionNeedsTheWriteScopeAndAChallenger()
    {
        using var client = factory.CreateClient();

        using var reader = await client.SendAsync(Promote(Mint(Token.Valid, "predict")));
        using var writer = await client.SendAsync(Promote(Mint(Token.Valid, "models:write")));

        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        // This worker has no Models:Challenger:Directory: nothing to promote, and nothing changed.
        Assert.Equal(HttpStatusCode.Conflict, writer.StatusCode);
        Assert.Contains(
            "No challenger is configured",
            await writer.Content.ReadAsStringAsync(),
            StringComparison.Ordinal
        );
    }

    [Fact]
    public async Task TheWriteScopeMayReload()
    {
        using var client = factory.CreateClient();

        using var reload = await client.SendAsync(Reload(Mint(Token.Valid, "models:write")));

        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
    }

    [Fact]
    public async Task ApiKeysKeepWorkingWithTheScopesConfiguredForThem()
    {
        using var client = factory.CreateClient();
        await WorkerFactory.WaitUntilReadyAsync(client);
        using var predict = new HttpRequestMessage(HttpMethod.Post, "/api/v1/predict")
        {
            Content = WorkerFactory.Json(new { symbol = "NOPE" }),
        };
        predict.Headers.Add(ApiOptions.KeyHeader, ApiKey);
        using var reload = new HttpRequestMessage(HttpMethod.Post, "/api/v1/models/reload");
        reload.Headers.Add(ApiOptions.KeyHeader, ApiKey);

        using var predicted = await client.SendAsync(predict);
        using var reloaded = await client.SendAsync(reload);

        Assert.Equal(HttpStatusCode.NotFound, predicted.StatusCode);
        // Api:KeyScopes grants keys "predict" only here.
        Assert.Equal(HttpStatusCode.Forbidden, reloaded.StatusCode);
        AssertNeverLogged(ApiKey);
    }

    [Fact]
    public async Task NoCredentialsIs401ChallengingForBoth()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "NOPE" })
        );

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(
            ["ApiKey", "Bearer"],
            response.Headers.WwwAuthenticate.Select(c => c.Scheme).Order(StringComparer.Ordinal)
        );
        Assert.Null(response.Headers.WwwAuthenticate.Single(c => c.Scheme == "Bearer").Parameter);
    }

    [Fact]
    public void TheSigningKeyIsNeverLogged() => AssertNeverLogged(SigningKey);

    private void AssertNeverLogged(string secret)
    {
        var records = factory.Services.GetFakeLogCollector().GetSnapshot();
        Assert.NotEmpty(records);
        Assert.DoesNotContain(
            records,
            r =>
                r.Message.Contains(secret, StringComparison.Ordinal)
                || (r.Exception?.ToString().Contains(secret, StringComparison.Ordinal) ?? false)
                || (r.StructuredState?.Any(s => s.Value?.Contains(secret, StringComparison.Ordinal) ?? false) ?? false)
        );
    }

    private static HttpRequestMessage Predict(string token, string? arm = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/predict")
        {
            Content = arm is null
                ? WorkerFactory.Json(new { symbol = "NOPE" })
                : WorkerFactory.Json(new { symbol = "NOPE", arm }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static HttpRequestMessage Promote(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/models/promote");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static HttpRequestMessage Reload(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/models/reload");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static string Mint(Token kind, string? scope, string[]? scp = null)
    {
        if (kind == Token.Garbage)
        {
            return "not-a-jwt";
        }

        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = "desk-7" };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }

        if (scp is not null)
        {
            claims["scp"] = scp;
        }

        var key = kind == Token.WrongSignature ? "another-signing-key-0123456789abcdef" : SigningKey;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = kind == Token.WrongIssuer ? "https://someone-else.test" : Issuer,
            Audience = kind == Token.WrongAudience ? "another-service" : Audience,
            Claims = claims,
            IssuedAt = now.AddMinutes(-20),
            NotBefore = kind switch
            {
                Token.Expired => now.AddMinutes(-20),
                Token.NotYetValid => now.AddMinutes(10),
                _ => now.AddMinutes(-1),
            },
            Expires = kind switch
            {
                Token.Expired => now.AddMinutes(-10),
                Token.NotYetValid => now.AddMinutes(20),
                _ => now.AddMinutes(10),
            },
            // No credentials: the handler writes an unsigned token, "alg": "none".
            SigningCredentials =
                kind == Token.AlgNone
                    ? null
                    : new SigningCredentials(
                        new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
                        SecurityAlgorithms.HmacSha256
                    ),
        };
        if (kind is Token.NoExpiry or Token.ExpiryAsString or Token.IssuedAtAsString)
        {
            // Written by hand: the handler would add a numeric exp and iat of its own.
            descriptor.Expires = null;
            descriptor.IssuedAt = null;
            var expires = new DateTimeOffset(now.AddMinutes(10)).ToUnixTimeSeconds();
            var issued = new DateTimeOffset(now.AddMinutes(-1)).ToUnixTimeSeconds();
            if (kind == Token.ExpiryAsString)
            {
                claims["exp"] = expires.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (kind == Token.IssuedAtAsString)
            {
                claims["exp"] = expires;
                claims["iat"] = issued.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
        }

        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}

public sealed class JwtOptionsTests
{
    [Theory]
    [InlineData(null, "aud", "https://idp", null, null)]
    [InlineData("0123456789abcdef0123456789abcdef", "aud", null, "https://issuer", null)]
    [InlineData(null, null, "https://idp", null, "Audience is required")]
    [InlineData("0123456789abcdef0123456789abcdef", "aud", null, null, "Issuer is required with SigningKey")]
    [InlineData("short", "aud", null, "https://issuer", "at least 32 bytes")]
    [InlineData("0123456789abcdef0123456789abcdef", "aud", "https://idp", "https://issuer", "not both")]
    public void MisconfiguredJwtIsRefusedAtStart(
        string? key,
        string? audience,
        string? authority,
        string? issuer,
        string? problem
    )
    {
        var options = new ApiOptions
        {
            Jwt = new JwtOptions
            {
                SigningKey = key,
                Audience = audience,
                Authority = authority,
                Issuer = issuer,
            },
        };

        var results = options
            .Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options))
            .Select(r => r.ErrorMessage!)
            .ToList();

        if (problem is null)
        {
            Assert.Empty(results);
        }
        else
        {
            Assert.Contains(results, r => r.Contains(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AnUnknownKeyScopeIsRefused()
    {
        var options = new ApiOptions { KeyScopes = ["predict", "admin"] };

        var result = Assert.Single(
            options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options))
        );

        Assert.Contains("unknown scope 'admin'", result.ErrorMessage, StringComparison.Ordinal);
    }
}
