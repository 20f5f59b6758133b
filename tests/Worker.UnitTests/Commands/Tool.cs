using Inference.Streaming.Tools.Commands;

namespace Inference.Streaming.Worker.UnitTests.Commands;

/// <summary>A tool as its command line runs it, in process: <c>Tool.Run("score", args, ...)</c>.</summary>
internal static class Tool
{
    public static int Run(string command, string[] args, TextWriter stdout, TextWriter stderr) =>
        ToolCommands.RunAsync([command, .. args], stdout, stderr).GetAwaiter().GetResult();
}
