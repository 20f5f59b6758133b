using Inference.Streaming.Worker.Embedded.SchemaRegistry;

namespace Inference.Streaming.Worker.UnitTests.Embedded;

public sealed class SchemaStoreTests
{
    private const string V1 = """{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}""";
    private const string AddedOptional = """
        {"type":"record","name":"R","fields":[{"name":"a","type":"int"},
        {"name":"b","type":["null","string"],"default":null}]}
        """;
    private const string AddedRequired =
        """{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}""";
    private const string RemovedA = """{"type":"record","name":"R","fields":[]}""";

    [Fact]
    public void IdsAreStableAcrossSubjectsAndFormatting()
    {
        var store = new SchemaStore();

        var first = store.Register("a-value", V1);
        var reformatted = store.Register("b-value", V1.Replace(":", " : ", StringComparison.Ordinal));
        var other = store.Register("a-value", AddedOptional);

        Assert.Equal(first, reformatted);
        Assert.NotEqual(first, other);
        Assert.Equal([1, 2], store.Versions("a-value"));
    }

    [Theory]
    [InlineData(CompatibilityLevel.BACKWARD, AddedRequired, false)]
    [InlineData(CompatibilityLevel.BACKWARD, AddedOptional, true)]
    [InlineData(CompatibilityLevel.BACKWARD, RemovedA, true)]
    [InlineData(CompatibilityLevel.FORWARD, RemovedA, false)]
    [InlineData(CompatibilityLevel.FORWARD, AddedRequired, true)]
    [InlineData(CompatibilityLevel.FULL, AddedOptional, true)]
    [InlineData(CompatibilityLevel.FULL, AddedRequired, false)]
    [InlineData(CompatibilityLevel.NONE, AddedRequired, true)]
    public void CompatibilityFollowsTheConfiguredLevel(CompatibilityLevel level, string candidate, bool accepted)
    {
        var store = new SchemaStore();
        store.Register("s", V1);
        store.SetSubjectLevel("s", level);

        var registered = Record.Exception(() => store.Register("s", candidate));

        Assert.Equal(accepted, registered is null);
        if (!accepted)
        {
            Assert.Equal(409, Assert.IsType<RegistryApiException>(registered).ErrorCode);
        }
    }

    [Fact]
    public void TransitiveChecksEveryEarlierVersion()
    {
        var store = new SchemaStore();
        store.SetSubjectLevel("s", CompatibilityLevel.NONE);
        store.Register("s", V1);
        store.Register("s", RemovedA);
        const string ReAdded = """{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":0}]}""";
        store.SetSubjectLevel("s", CompatibilityLevel.BACKWARD_TRANSITIVE);

        Assert.True(store.IsCompatible("s", "latest", ReAdded, out _));
        Assert.False(store.IsCompatible("s", "latest", AddedRequired, out var problem));
        Assert.Contains("version", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInvalidSchemaIsRefusedWith42201()
    {
        var error = Assert.Throws<RegistryApiException>(() => new SchemaStore().Register("s", """{"type":"recrd"}"""));

        Assert.Equal(422, error.Status);
        Assert.Equal(42201, error.ErrorCode);
    }

    [Fact]
    public void UnknownLookupsUseTheRegistryErrorCodes()
    {
        var store = new SchemaStore();
        store.Register("s", V1);

        Assert.Equal(40403, Assert.Throws<RegistryApiException>(() => store.GetById(99)).ErrorCode);
        Assert.Equal(40401, Assert.Throws<RegistryApiException>(() => store.GetVersion("t", "latest")).ErrorCode);
        Assert.Equal(40402, Assert.Throws<RegistryApiException>(() => store.GetVersion("s", "2")).ErrorCode);
        Assert.Equal(42202, Assert.Throws<RegistryApiException>(() => store.GetVersion("s", "0")).ErrorCode);
        Assert.Equal(40403, Assert.Throws<RegistryApiException>(() => store.Lookup("s", AddedOptional)).ErrorCode);
    }
}
