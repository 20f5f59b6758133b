using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// The configured API keys, held as SHA-256 digests and compared in constant time; keys are never
/// logged. Tells the rate limiter who a request really is, and the filter whether to let it in.
/// </summary>
public sealed class ApiKeys(IOptions<ApiOptions> options)
{
    private readonly byte[][] _digests =
    [
        .. options
            .Value.Keys.Where(k => !string.IsNullOrEmpty(k))
            .Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))),
    ];

    public bool Required => _digests.Length > 0;

    /// <summary>A stable, non-reversible name for a valid key (for rate-limit partitions), or null when it is not
    /// one.</summary>
    public string? Identify(string presented)
    {
        if (presented.Length == 0 || _digests.Length == 0)
        {
            return null;
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var valid = false;
        foreach (var candidate in _digests)
        {
            // No early exit: the time taken does not depend on which key matched.
            valid |= CryptographicOperations.FixedTimeEquals(candidate, digest);
        }

        return valid ? "key:" + Convert.ToHexString(digest)[..16] : null;
    }
}
