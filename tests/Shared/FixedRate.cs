using System.Diagnostics;

namespace Inference.Streaming.Tests;

/// <summary>
/// Paces a producer at a fixed rate: record n (from 0) is due (n + 1) / rate seconds after the start. It sleeps
/// only when at least a few milliseconds ahead: shorter sleeps overshoot and would cap the rate below the one asked
/// for (linked into each test project).
/// </summary>
internal sealed class FixedRate(double perSecond)
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(2);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Time since the pacing started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Waits until record <paramref name="n"/> has been sent on time (returns at once when behind).</summary>
    public async Task PaceAsync(long n, CancellationToken cancellationToken = default)
    {
        var due = TimeSpan.FromSeconds((n + 1) / perSecond) - _clock.Elapsed;
        if (due > Slice)
        {
            await Task.Delay(due, cancellationToken);
        }
    }
}
