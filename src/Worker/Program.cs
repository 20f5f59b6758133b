using Inference.Streaming.Worker.Hosting;

var (mode, hostArgs) = WorkerCommandLine.Parse(args);
var builder = WebApplication.CreateBuilder(hostArgs);
builder.AddInferenceWorker(mode);
var app = builder.Build();
app.MapInferenceWorker();
await app.RunAsync();
