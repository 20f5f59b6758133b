using Inference.Streaming.Tools.Commands;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => (e.Cancel, _) = (true, stop.CancelAsync());
return await ToolCommands.RunAsync(args, Console.Out, Console.Error, stop.Token);
