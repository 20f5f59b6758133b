namespace Inference.Streaming.Tests;

/// <summary>The repository a test run was built from, found from the test's output folder (linked into each test
/// project).</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string PyTorchFixtures => System.IO.Path.Combine(Path, "tests", "Fixtures", "pytorch");

    /// <summary>Daily BTC-USD bars with regime labels (tests/Fixtures/market/README.md).</summary>
    public static string BtcDaily =>
        System.IO.Path.Combine(Path, "tests", "Fixtures", "market", "btc-usd-daily-2017-2021.csv");

    /// <summary>The shipped regime detectors.</summary>
    public static string Models => System.IO.Path.Combine(Path, "models");

    public static string RegimeDetectors => System.IO.Path.Combine(Path, "models", "regimes");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Inference.Streaming.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Inference.Streaming.sln not found above " + AppContext.BaseDirectory);
    }
}
