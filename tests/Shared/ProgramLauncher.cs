using System.Diagnostics;

namespace Inference.Streaming.Tests;

/// <summary>
/// Starts the project's programs as their own processes, as <c>dotnet run --project src/X</c> would from a build:
/// the worker for the process, fleet and tour tests and the benchmarks, the tools and the trainer for their command
/// lines (linked into each test project).
/// </summary>
internal static class ProgramLauncher
{
    /// <summary>
    /// The build output of <c>src/{project}</c> (Worker, Tools, Trainer) beside the running test's: the same
    /// configuration and runtime identifier.
    /// </summary>
    public static string BuildDirectory(string project)
    {
        var test = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var tests = Path.DirectorySeparatorChar + "tests" + Path.DirectorySeparatorChar;
        var at = test.IndexOf(tests, StringComparison.Ordinal);
        var bin = at < 0 ? -1 : test.IndexOf(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, at);
        if (bin < 0)
        {
            throw new InvalidOperationException("Cannot locate the builds from " + test);
        }

        var directory = Path.Combine(test[..at], "src", project, "bin", test[(bin + 5)..]);
        return File.Exists(Path.Combine(directory, $"Inference.Streaming.{project}.dll"))
            ? directory
            : throw new InvalidOperationException($"src/{project} is not built at {directory}");
    }

    /// <summary>
    /// <c>dotnet Inference.Streaming.{project}.dll args</c> from <paramref name="directory"/>, run in
    /// <paramref name="workingDirectory"/> (the repository root, where <c>models/</c> is, as <c>dotnet run</c> runs
    /// it), with both outputs redirected for the caller to read.
    /// </summary>
    public static ProcessStartInfo StartInfo(
        string directory,
        string project,
        string workingDirectory,
        IEnumerable<string> args
    )
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(directory, $"Inference.Streaming.{project}.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
