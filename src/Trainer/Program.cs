using Inference.Streaming.Trainer;

return await TrainerCommands.RunAsync(args, Console.Out, Console.Error);
