using System.Net;
using System.Text;
using System.Text.Json;
using Confluent.SchemaRegistry;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;

namespace Inference.Streaming.Worker.IntegrationTests.Registry;

/// <summary>The embedded registry over real HTTP, through Confluent's own client where it has the call.</summary>
public sealed class EmbeddedSchemaRegistryTests : IAsyncLifetime
{
    private const string V1 =
        """{"type":"record","name":"Quote","namespace":"t","fields":[{"name":"symbol","type":"string"}]}""";
    private const string V2WithDefault = """
        {"type":"record","name":"Quote","namespace":"t","fields":[{"name":"symbol","type":"string"},
        {"name":"venue","type":["null","string"],"default":null}]}
        """;
    private const string V2WithoutDefault = """
        {"type":"record","name":"Quote","namespace":"t","fields":[{"name":"symbol","type":"string"},
        {"name":"venue","type":"string"}]}
        """;

    private EmbeddedSchemaRegistry _registry = null!;
    private CachedSchemaRegistryClient _client = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        _client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
        _http = new HttpClient { BaseAddress = new Uri(_registry.Url) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _client.Dispose();
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task TheSameSchemaRegisteredTwiceGetsTheSameId()
    {
        var first = await _client.RegisterSchemaAsync("quotes-value", new Schema(V1, SchemaType.Avro));
        var again = await RawRegisterAsync("quotes-value", V1.Replace(",", " , ", StringComparison.Ordinal));
        var otherSubject = await _client.RegisterSchemaAsync("other-value", new Schema(V1, SchemaType.Avro));

        Assert.Equal(first, again);
        Assert.Equal(first, otherSubject);
        Assert.Equal([1], await _client.GetSubjectVersionsAsync("quotes-value"));
    }

    [Fact]
    public async Task AnIncompatibleChangeIsRefusedUnderBackward()
    {
        await _client.RegisterSchemaAsync("evolve-value", new Schema(V1, SchemaType.Avro));

        var error = await Assert.ThrowsAsync<SchemaRegistryException>(() =>
            _client.RegisterSchemaAsync("evolve-value", new Schema(V2WithoutDefault, SchemaType.Avro))
        );
        Assert.Equal(HttpStatusCode.Conflict, error.Status);
        Assert.Equal(409, error.ErrorCode);
        Assert.False(await _client.IsCompatibleAsync("evolve-value", new Schema(V2WithoutDefault, SchemaType.Avro)));

        Assert.True(await _client.IsCompatibleAsync("evolve-value", new Schema(V2WithDefault, SchemaType.Avro)));
        var v2 = await _client.RegisterSchemaAsync("evolve-value", new Schema(V2WithDefault, SchemaType.Avro));
        var latest = await _client.GetLatestSchemaAsync("evolve-value");
        Assert.Equal(2, latest.Version);
        Assert.Equal(v2, latest.Id);
    }

    [Fact]
    public async Task CompatibilityNoneAcceptsAnyChange()
    {
        await _client.RegisterSchemaAsync("loose-value", new Schema(V1, SchemaType.Avro));
        await _client.UpdateCompatibilityAsync(Compatibility.None, "loose-value");

        await _client.RegisterSchemaAsync("loose-value", new Schema(V2WithoutDefault, SchemaType.Avro));

        Assert.Equal(Compatibility.None, await _client.GetCompatibilityAsync("loose-value"));
        Assert.Equal([1, 2], await _client.GetSubjectVersionsAsync("loose-value"));
    }

    [Fact]
    public async Task AnUnknownIdGives404WithTheRegistryErrorCode()
    {
        using var response = await _http.GetAsync(new Uri("/schemas/ids/424242", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(40403, await ErrorCodeAsync(response));
        var error = await Assert.ThrowsAsync<SchemaRegistryException>(() => _client.GetSchemaAsync(424242));
        Assert.Equal(40403, error.ErrorCode);
    }

    [Fact]
    public async Task AnUnknownSubjectAndVersionGiveTheirOwnCodes()
    {
        await _client.RegisterSchemaAsync("versions-value", new Schema(V1, SchemaType.Avro));

        using var noSubject = await _http.GetAsync(
            new Uri("/subjects/missing-value/versions/latest", UriKind.Relative)
        );
        using var noVersion = await _http.GetAsync(new Uri("/subjects/versions-value/versions/7", UriKind.Relative));
        using var badVersion = await _http.GetAsync(new Uri("/subjects/versions-value/versions/abc", UriKind.Relative));

        Assert.Equal(40401, await ErrorCodeAsync(noSubject));
        Assert.Equal(40402, await ErrorCodeAsync(noVersion));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badVersion.StatusCode);
        Assert.Equal(42202, await ErrorCodeAsync(badVersion));
    }

    [Theory]
    [InlineData("{not json", HttpStatusCode.BadRequest)]
    [InlineData("[1,2]", HttpStatusCode.BadRequest)]
    [InlineData("{\"schema\": 5}", HttpStatusCode.UnprocessableEntity)]
    [InlineData("{\"schema\": \"{\\\"type\\\": \\\"recrd\\\"}\"}", HttpStatusCode.UnprocessableEntity)]
    [InlineData(
        "{\"schema\": \"syntax = \\\"proto3\\\";\", \"schemaType\": \"PROTOBUF\"}",
        HttpStatusCode.UnprocessableEntity
    )]
    public async Task AMalformedBodyGivesA4xxWithAnErrorCode(string body, HttpStatusCode expected)
    {
        using var content = new StringContent(body, Encoding.UTF8, SchemaRegistryApi.ContentType);
        using var response = await _http.PostAsync(new Uri("/subjects/bad-value/versions", UriKind.Relative), content);

        Assert.Equal(expected, response.StatusCode);
        Assert.True(await ErrorCodeAsync(response) > 0);
    }

    [Fact]
    public async Task LookupFindsTheVersionOfARegisteredSchema()
    {
        await _client.RegisterSchemaAsync("lookup-value", new Schema(V1, SchemaType.Avro));
        var id2 = await _client.RegisterSchemaAsync("lookup-value", new Schema(V2WithDefault, SchemaType.Avro));

        var found = await _client.LookupSchemaAsync(
            "lookup-value",
            new Schema(V2WithDefault, SchemaType.Avro),
            ignoreDeletedSchemas: true
        );

        Assert.Equal(2, found.Version);
        Assert.Equal(id2, found.Id);
        Assert.Contains("lookup-value", await _client.GetAllSubjectsAsync());
    }

    private async Task<int> RawRegisterAsync(string subject, string schema)
    {
        using var content = new StringContent(
            JsonSerializer.Serialize(new { schema }),
            Encoding.UTF8,
            SchemaRegistryApi.ContentType
        );
        using var response = await _http.PostAsync(new Uri($"/subjects/{subject}/versions", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("id").GetInt32();
    }

    private static async Task<int> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error_code").GetInt32();
    }
}
