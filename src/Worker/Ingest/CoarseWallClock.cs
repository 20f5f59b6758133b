namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// The wall clock in Unix milliseconds, read again only when its step moves on. For the system's clock the step is
/// <see cref="Environment.TickCount64"/>, the kernel's coarse clock (a few milliseconds, and a fraction of a wall
/// clock read's cost): the future bound asks twice a tick, and those reads were about 3% of the ingest thread's
/// samples. So a value may be one step old. Any other <see cref="TimeProvider"/> (a test's) has no step and is read
/// every time.
/// </summary>
internal sealed class CoarseWallClock(TimeProvider time, Func<long>? step)
{
    private long _wallMs;
    private long _readAtStep = long.MinValue;

    public static CoarseWallClock For(TimeProvider time) =>
        new(time, ReferenceEquals(time, TimeProvider.System) ? static () => Environment.TickCount64 : null);

    public long NowMs()
    {
        if (step is null)
        {
            return time.GetUtcNow().ToUnixTimeMilliseconds();
        }

        var now = step();
        if (now != Volatile.Read(ref _readAtStep))
        {
            Volatile.Write(ref _wallMs, time.GetUtcNow().ToUnixTimeMilliseconds());
            Volatile.Write(ref _readAtStep, now);
        }

        return Volatile.Read(ref _wallMs);
    }
}
