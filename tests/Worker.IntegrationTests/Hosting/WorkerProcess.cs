using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Inference.Streaming.Tests;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// The real worker executable in a child process, as <c>dotnet run --project src/Worker</c> starts
/// it: stdout and stderr captured, the banner parsed, SIGTERM sent like a container runtime does.
/// </summary>
internal sealed partial class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, string> _banner = new(StringComparer.Ordinal);

    private WorkerProcess(Process process) => _process = process;

    /// <summary>The banner's fields (a copy), complete once <see cref="WaitUntilReadyAsync"/> has returned.</summary>
    public IReadOnlyDictionary<string, string> Banner
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, string>(_banner, StringComparer.Ordinal);
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// The output once it satisfies <paramref name="condition"/>, or as it is when <paramref name="timeout"/> has
    /// passed, for the caller to judge. The console logger writes on a thread of its own, behind the work it reports:
    /// a line can arrive after the effect a test saw on a topic (a CI run read a restarted service's log the moment
    /// its updates were all in, and found not even the assignment it had logged before them).
    /// </summary>
    public async Task<string> OutputOnceAsync(Func<string, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var output = Output;
        while (!condition(output) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            output = Output;
        }

        return output;
    }

    public static WorkerProcess Start(params string[] args) => StartWith(new Dictionary<string, string>(), args);

    /// <summary>Starts one of the tools (<c>dotnet run --project src/Tools -- ...</c>): score, tail, ...</summary>
    public static WorkerProcess StartTool(params string[] args) =>
        StartProgram("Tools", new Dictionary<string, string>(), args);

    /// <summary>Starts the worker with extra environment variables.</summary>
    public static WorkerProcess StartWith(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartProgram("Worker", environment, args);

    private static WorkerProcess StartProgram(
        string project,
        IReadOnlyDictionary<string, string> environment,
        params string[] args
    )
    {
        var start = ProgramLauncher.StartInfo(
            ProgramLauncher.BuildDirectory(project),
            project,
            TestPaths.RepositoryRoot,
            args
        );

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data);
        process.Exited += (_, _) =>
            worker._ready.TrySetException(
                new InvalidOperationException("The worker exited before it was ready:\n" + worker.Output)
            );
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits for the banner; returns how long the worker took to be ready.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout) => await _ready.Task.WaitAsync(timeout);

    /// <summary>Sends SIGTERM and waits for the exit; returns how long stopping took.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        _ = SendSignal(_process.Id, 15);
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return stopwatch.Elapsed;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _ = SendSignal(_process.Id, 9);
        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
            var trimmed = line.Trim();
            var colon = trimmed.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && trimmed[..colon] is "kafka.bootstrap" or "schema.registry" or "api" or "api.auth")
            {
                _banner[trimmed[..colon]] = trimmed[(colon + 1)..].Trim();
            }

            // The banner is one write: api, then api.auth where the program has one, then an empty line. Ready at
            // the line after api, so that a test reading api.auth once ready finds it (the test's continuation
            // could otherwise run before this thread has read the api.auth line).
            if (_banner.ContainsKey("api") && !trimmed.StartsWith("api:", StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
