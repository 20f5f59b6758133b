using Inference.Streaming.Engine.Decisions;

namespace Inference.Streaming.Engine.UnitTests.Decisions;

public sealed class DecisionIdsTests
{
    [Fact]
    public void NameBasedIdsMatchTheRfcAlgorithm()
    {
        // RFC 9562 test vector: v5 of "www.example.com" in the DNS namespace.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), DecisionIds.NameBased(dns, "www.example.com"));
    }

    [Fact]
    public void TheSameBarAndModelsGiveTheSameIdAndAnythingElseAnother()
    {
        var id = DecisionIds.For("AAPL", 1_767_225_660_000, "bull=aa;bear=bb");

        Assert.Equal(id, DecisionIds.For("AAPL", 1_767_225_660_000, "bull=aa;bear=bb"));
        Assert.NotEqual(id, DecisionIds.For("MSFT", 1_767_225_660_000, "bull=aa;bear=bb"));
        Assert.NotEqual(id, DecisionIds.For("AAPL", 1_767_225_720_000, "bull=aa;bear=bb"));
        Assert.NotEqual(id, DecisionIds.For("AAPL", 1_767_225_660_000, "bull=aa;bear=cc"));
        Assert.Equal(5, id.Version);
    }
}
