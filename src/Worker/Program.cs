using Inference.Streaming.Worker.Hosting;

var (mode, hostArgs) = WorkerCommandLine.Parse(args);
if (mode == WorkerMode.Score)
{
    return ScoreCommand.Run(hostArgs, Console.Out, Console.Error);
}

// Settings ship beside the binary; relative data paths (Models:Directory) resolve against the
// working directory, which `dotnet run --project src/Worker` sets to the repository root.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = hostArgs, ContentRootPath = AppContext.BaseDirectory });
builder.AddInferenceWorker(mode);
var app = builder.Build();
app.MapInferenceWorker();
await app.RunAsync();
return 0;
public partial class Program;
