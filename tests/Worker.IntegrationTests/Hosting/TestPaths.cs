namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>Paths in the repository this test run was built from.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string PyTorchFixtures => Path.Combine(RepositoryRoot, "tests", "Fixtures", "pytorch");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Inference.Streaming.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
