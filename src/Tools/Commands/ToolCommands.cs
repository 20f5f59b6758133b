using System.CommandLine;
using System.CommandLine.Help;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// The tools' one command tree: <c>score</c>, <c>detect</c>, <c>backtest</c>, <c>replay</c>, <c>export</c>,
/// <c>experiment-report</c> and <c>tail</c>, each a subcommand whose action builds exactly the services it runs.
/// <c>--help</c> works alike at every level; a wrong command line is answered on stderr with what is wrong and exit
/// code 2.
/// </summary>
public static class ToolCommands
{
    public const string Description =
        "Inference.Streaming tools: offline scoring, regime detection and backtests, and the forensics team's commands "
        + "(replay, export, experiment-report, tail). Settings not named as options are configuration in the "
        + "worker's own form (--Kafka:BootstrapServers host:9092).";

    public static RootCommand Root(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(Description)
        {
            ScoreCommand.Create(stdout, stderr),
            DetectCommand.Create(stdout, stderr),
            BacktestCommand.Create(stdout, stderr),
            TailCommand.Create(stdout, stderr),
        };
        foreach (var command in ForensicsCommands.Create(stdout, stderr))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        CancellationToken cancellationToken = default
    )
    {
        var parse = Root(stdout, stderr).Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
        };
        // No command at all is an error too ("Required command was not provided"): answered below with exit code 2.
        if (parse.Action is HelpAction || parse.Errors.Count == 0)
        {
            return await parse.InvokeAsync(invocation, cancellationToken);
        }

        var name = parse.CommandResult.Command is RootCommand ? "tools" : parse.CommandResult.Command.Name;
        foreach (var error in parse.Errors)
        {
            await stderr.WriteLineAsync($"{name}: {error.Message}");
        }

        await stderr.WriteLineAsync($"usage: {(name == "tools" ? "" : name + " ")}--help shows the options");
        return ForensicsCommands.Usage;
    }
}
