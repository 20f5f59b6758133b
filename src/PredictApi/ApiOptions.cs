using System.ComponentModel.DataAnnotations;

namespace Inference.Streaming.PredictApi;

/// <summary>Protection of the HTTP API (<c>Api:*</c>).</summary>
public sealed class ApiOptions : IValidatableObject
{
    public const string Section = "Api";
    public const string KeyHeader = "X-API-Key";

    /// <summary>
    /// Accepted API keys; with neither keys nor <see cref="Jwt"/> configured the API is open, which
    /// is allowed on loopback only unless <see cref="AllowUnauthenticated"/> is set. An empty or
    /// whitespace key is a start-up error (it would be dropped, leaving the API open).
    /// </summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>
    /// Lets the API run without authentication on a non-loopback address (a private network behind
    /// its own gate). Off by default: without it the worker refuses to start there
    /// (<see cref="ApiExposureValidator"/>).
    /// </summary>
    public bool AllowUnauthenticated { get; set; }

    /// <summary>
    /// The scopes an API key grants (<see cref="ApiScopes"/>); unset grants both. (Null, not a default
    /// list: the configuration binder appends to a list's defaults instead of replacing them.)
    /// </summary>
    public List<string>? KeyScopes { get; set; }

    public IReadOnlyList<string> EffectiveKeyScopes => KeyScopes ?? ApiScopes.All;

    /// <summary>JWT bearer tokens (<c>Api:Jwt:*</c>), beside or instead of API keys.</summary>
    public JwtOptions Jwt { get; set; } = new();

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Largest predict request body; larger bodies get 413.</summary>
    [Range(256, 1_048_576)]
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Keys[i]))
            {
                yield return new ValidationResult(
                    $"Api:Keys:{i} is empty or whitespace: it would be ignored and could leave the API open. "
                        + "Remove it or set a long random key."
                );
            }
        }

        foreach (var scope in EffectiveKeyScopes.Where(s => !ApiScopes.All.Contains(s)))
        {
            yield return new ValidationResult(
                $"Api:KeyScopes: unknown scope '{scope}'; the scopes are {string.Join(", ", ApiScopes.All)}."
            );
        }

        foreach (var problem in Jwt.Problems())
        {
            yield return new ValidationResult("Api:Jwt: " + problem);
        }
    }
}

/// <summary>
/// JWT bearer authentication (<c>Api:Jwt:*</c>): an identity provider's <see cref="Authority"/>
/// (keys from its OpenID Connect discovery document), or a symmetric <see cref="SigningKey"/> with
/// <see cref="Issuer"/> for tests and simple setups. Either way tokens must name <see cref="Audience"/>.
/// </summary>
public sealed class JwtOptions
{
    /// <summary>The identity provider's issuer URL; its <c>/.well-known/openid-configuration</c> gives the signing
    /// keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must carry (<c>aud</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>HMAC-SHA256 key (at least 32 bytes of UTF-8) for self-issued tokens; instead of
    /// <see cref="Authority"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The issuer (<c>iss</c>) that self-issued tokens must carry; required with
    /// <see cref="SigningKey"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>Fetch the discovery document over HTTPS only; turn off only for a local test provider.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerance for expiry and not-before against this machine's clock.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    public bool Enabled => !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(SigningKey);

    internal IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            yield break;
        }

        if (!string.IsNullOrEmpty(Authority) && !string.IsNullOrEmpty(SigningKey))
        {
            yield return "set Authority (an identity provider) or SigningKey (self-issued tokens), not both.";
        }

        if (string.IsNullOrEmpty(Audience))
        {
            yield return "Audience is required: tokens issued for another service must not be accepted.";
        }

        if (!string.IsNullOrEmpty(SigningKey) && string.IsNullOrEmpty(Issuer))
        {
            yield return "Issuer is required with SigningKey.";
        }

        if (!string.IsNullOrEmpty(SigningKey) && System.Text.Encoding.UTF8.GetByteCount(SigningKey) < 32)
        {
            yield return "SigningKey must be at least 32 bytes (HMAC-SHA256).";
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(10))
        {
            yield return "ClockSkew must be between 0 and 10 minutes.";
        }
    }
}

/// <summary>The API's scopes: in a token's <c>scope</c> (or <c>scp</c>) claim, or granted by an API key.</summary>
public static class ApiScopes
{
    public const string Predict = "predict";
    public const string ModelsWrite = "models:write";

    public static readonly IReadOnlyList<string> All = [Predict, ModelsWrite];
}

/// <summary>Per-client rate limit on predict (<c>Api:RateLimit:*</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>
    /// Requests per minute per client: its authenticated API key, else its remote address (a key that
    /// does not authenticate counts against the address); 0 turns the limit off.
    /// </summary>
    [Range(0, 10_000_000)]
    public int PermitsPerMinute { get; set; }

    /// <summary>
    /// Failed authentications per minute per remote address before further failures get 429 with
    /// Retry-After instead of 401 (key guessing); 0 turns the limit off.
    /// </summary>
    [Range(0, 10_000_000)]
    public int FailedAuthPerMinute { get; set; } = 20;
}
