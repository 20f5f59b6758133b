using Inference.Streaming.Tools.Commands;

namespace Inference.Streaming.Worker.IntegrationTests.Forensics;

/// <summary>The forensics commands (<c>replay</c>, <c>export</c>, <c>experiment-report</c>) as the worker's command
/// line runs them, in process.</summary>
internal static class ForensicsCli
{
    /// <returns>The exit code, and standard output and error together.</returns>
    public static async Task<(int Code, string Output)> InvokeAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        var code = await ToolCommands.RunAsync(args, stdout, stdout);
        return (code, stdout.ToString());
    }
}
