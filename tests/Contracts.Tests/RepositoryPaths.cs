using Inference.Streaming.Tests;

namespace Inference.Streaming.Contracts.Tests;

/// <summary>Paths in the repository this test run was built from.</summary>
internal static class RepositoryPaths
{
    public static string Root => RepositoryRoot.Path;

    public static string Schemas => Path.Combine(Root, "schemas");

    public static string Contracts => Path.Combine(Root, "src", "Contracts");
}
