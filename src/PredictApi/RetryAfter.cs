using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Inference.Streaming.PredictApi;

/// <summary>The wait a refused rate-limit lease names, and the whole seconds of <c>Retry-After</c> (at least
/// 1).</summary>
internal static class RetryAfter
{
    public static TimeSpan Of(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);

    public static void Set(HttpResponse response, TimeSpan wait) =>
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            .ToString(CultureInfo.InvariantCulture);
}
