using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Spectre.Console;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// How far a forensics command (<c>replay</c>, <c>export</c>, <c>experiment-report</c>) has read. On a terminal a
/// Spectre.Console progress line on stderr (records read, rate, elapsed time), redrawn in place and gone when the
/// read ends; when stderr is redirected (a pipe, a file, a CI log) a plain line every
/// <see cref="PlainEvery"/> records, so a long read is visibly alive and a short one prints nothing extra.
/// </summary>
public static class ReadProgress
{
    /// <summary>Records between two plain progress lines.</summary>
    public const long PlainEvery = 10_000;

    /// <summary>Passes <paramref name="records"/> through, counting them for the progress display.</summary>
    public static IAsyncEnumerable<T> Track<T>(
        IAsyncEnumerable<T> records,
        string command,
        TextWriter stderr,
        CancellationToken cancellationToken
    ) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected
            ? OnTerminal(records, command, cancellationToken)
            : Plain(records, command, stderr, cancellationToken);

    private static async IAsyncEnumerable<T> Plain<T>(
        IAsyncEnumerable<T> records,
        string command,
        TextWriter stderr,
        [EnumeratorCancellation] CancellationToken cancellationToken
    )
    {
        var clock = Stopwatch.StartNew();
        long count = 0;
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            if (++count % PlainEvery == 0)
            {
                await stderr.WriteLineAsync(Line(command, count, clock.Elapsed));
            }

            yield return record;
        }
    }

    private static async IAsyncEnumerable<T> OnTerminal<T>(
        IAsyncEnumerable<T> records,
        string command,
        [EnumeratorCancellation] CancellationToken cancellationToken
    )
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var clock = Stopwatch.StartNew();
        long count = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var display = console
            .Progress()
            .AutoClear(true)
            .Columns(
                new SpinnerColumn(),
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ElapsedTimeColumn()
            )
            .StartAsync(async context =>
            {
                var task = context.AddTask(command, maxValue: 1).IsIndeterminate();
                while (!done.Task.IsCompleted)
                {
                    task.Description = Line(command, Interlocked.Read(ref count), clock.Elapsed);
                    await Task.WhenAny(done.Task, Task.Delay(200, CancellationToken.None));
                }

                task.StopTask();
            });
        try
        {
            await foreach (var record in records.WithCancellation(cancellationToken))
            {
                Interlocked.Increment(ref count);
                yield return record;
            }
        }
        finally
        {
            done.TrySetResult();
            await display;
        }
    }

    private static string Line(string command, long count, TimeSpan elapsed) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{command}: {count:N0} records read, {count / Math.Max(elapsed.TotalSeconds, 1e-3):N0}/s"
        );
}
