using Inference.Streaming.Worker.Hosting;

var (mode, hostArgs) = WorkerCommandLine.Parse(args);
if (mode == WorkerMode.Score)
{
    return ScoreCommand.Run(hostArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(hostArgs);
builder.AddInferenceWorker(mode);
var app = builder.Build();
app.MapInferenceWorker();
await app.RunAsync();
return 0;
