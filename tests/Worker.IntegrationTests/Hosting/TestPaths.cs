namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>Paths in the repository this test run was built from.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot => Tests.RepositoryRoot.Path;

    public static string PyTorchFixtures => Tests.RepositoryRoot.PyTorchFixtures;
}
