using Inference.Streaming.Worker.Hosting;

WorkerMode mode;
string[] hostArgs;
try
{
    (mode, hostArgs) = WorkerCommandLine.Parse(args);
}
catch (WorkerCommandLine.UsageException ex)
{
    // A wrong command line is the caller's mistake: say what is wrong and how to call, no stack trace.
    await Console.Error.WriteLineAsync(
        ex.Message + Environment.NewLine + Environment.NewLine + WorkerCommandLine.Usage
    );
    return 2;
}

if (mode == WorkerMode.Help)
{
    await Console.Out.WriteLineAsync(WorkerCommandLine.Usage);
    return 0;
}

// Settings ship beside the binary; relative data paths (Models:Directory) resolve against the
// working directory, which `dotnet run --project src/Worker` sets to the repository root.
var builder = WebApplication.CreateBuilder(
    new WebApplicationOptions { Args = hostArgs, ContentRootPath = AppContext.BaseDirectory }
);

builder.AddInferenceWorker(mode);
var app = builder.Build();
app.MapInferenceWorker();
try
{
    await app.RunAsync();
}
catch (OperationCanceledException)
{
    // RunAsync is given no token: only a stop request (SIGTERM, Ctrl+C) arriving before start-up finished
    // cancels it (a stop after start-up returns normally). Nothing was serving yet: an ordinary stop, not a crash.
    Console.Error.WriteLine("worker: stopped during start-up");
}

return 0;

public partial class Program;
