using System.ComponentModel.DataAnnotations;

namespace Inference.Streaming.PredictApi;

/// <summary>Protection of the HTTP API (<c>Api:*</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";
    public const string KeyHeader = "X-API-Key";

    /// <summary>Accepted API keys for predict and model reload; none configured leaves them open.</summary>
    public List<string> Keys { get; set; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Largest predict request body; larger bodies get 413.</summary>
    [Range(256, 1_048_576)]
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024;
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
