namespace Inference.Streaming.Contracts.Tests;

/// <summary>Locates the repository from the test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Schemas => Path.Combine(Root, "schemas");

    public static string GeneratedEvents => Path.Combine(Root, "src", "Contracts", "Events");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Inference.Streaming.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Inference.Streaming.sln not found above " + AppContext.BaseDirectory);
    }
}
