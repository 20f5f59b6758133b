using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// Failed authentications per remote address (<c>Api:RateLimit:FailedAuthPerMinute</c>): one
/// fixed window per address, shared by every endpoint that needs a key.
/// </summary>
public sealed class FailedAuthLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public FailedAuthLimiter(IOptions<ApiOptions> options)
    {
        var perMinute = options.Value.RateLimit.FailedAuthPerMinute;
        _limiter =
            perMinute <= 0
                ? null
                : PartitionedRateLimiter.Create<string, string>(address =>
                    RateLimitPartition.GetFixedWindowLimiter(
                        address,
                        _ => new FixedWindowRateLimiterOptions
                        {
                            PermitLimit = perMinute,
                            Window = TimeSpan.FromMinutes(1),
                            QueueLimit = 0,
                        }
                    )
                );
    }

    /// <summary>Counts a failure from <paramref name="address"/>; null while within the limit, else how long to
    /// wait.</summary>
    public TimeSpan? Fail(string address)
    {
        if (_limiter is null)
        {
            return null;
        }

        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired ? null : RetryAfter.Of(lease);
    }

    public void Dispose() => _limiter?.Dispose();
}
