using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace Inference.Streaming.Worker.Embedded.SchemaRegistry;

/// <summary>
/// The part of Confluent Schema Registry's REST API that Confluent's .NET, Java and Python
/// clients use (https://docs.confluent.io/platform/current/schema-registry/develop/api.html).
/// </summary>
public static class SchemaRegistryApi
{
    public const string ContentType = "application/vnd.schemaregistry.v1+json";

    private static readonly string[] SchemaTypes = ["AVRO"];

    public static IEndpointRouteBuilder MapSchemaRegistry(this IEndpointRouteBuilder routes, SchemaStore store)
    {
        routes.MapGet("/", () => Json(new Dictionary<string, object>()));
        routes.MapGet("/schemas/types", () => Json(SchemaTypes));

        routes.MapPost(
            "/subjects/{subject}/versions",
            (string subject, HttpRequest request) =>
                Handle(async () =>
                {
                    var schema = await ReadSchemaAsync(request);
                    return Json(new { id = store.Register(subject, schema) });
                })
        );

        routes.MapPost(
            "/subjects/{subject}",
            (string subject, HttpRequest request) =>
                Handle(async () =>
                {
                    var schema = await ReadSchemaAsync(request);
                    var found = store.Lookup(subject, schema);
                    return Json(Describe(found));
                })
        );

        routes.MapGet(
            "/schemas/ids/{id:int}",
            (int id) => Handle(() => Task.FromResult(Json(new { schema = store.GetById(id) })))
        );
        routes.MapGet(
            "/schemas/ids/{id:int}/schema",
            (int id) => Handle(() => Task.FromResult(Raw(store.GetById(id))))
        );
        routes.MapGet(
            "/schemas/ids/{id:int}/versions",
            (int id) =>
                Handle(() =>
                    Task.FromResult(
                        Json(store.UsagesOf(id).Select(v => new { subject = v.Subject, version = v.Version }))
                    )
                )
        );
        routes.MapGet(
            "/schemas/ids/{id:int}/subjects",
            (int id) => Handle(() => Task.FromResult(Json(store.UsagesOf(id).Select(v => v.Subject).Distinct())))
        );

        routes.MapGet("/subjects", () => Json(store.Subjects()));
        routes.MapGet(
            "/subjects/{subject}/versions",
            (string subject) => Handle(() => Task.FromResult(Json(store.Versions(subject))))
        );
        routes.MapGet(
            "/subjects/{subject}/versions/{version}",
            (string subject, string version) =>
                Handle(() => Task.FromResult(Json(Describe(store.GetVersion(subject, version)))))
        );
        routes.MapGet(
            "/subjects/{subject}/versions/{version}/schema",
            (string subject, string version) =>
                Handle(() => Task.FromResult(Raw(store.GetVersion(subject, version).Schema)))
        );
        routes.MapDelete(
            "/subjects/{subject}",
            (string subject) => Handle(() => Task.FromResult(Json(store.DeleteSubject(subject))))
        );

        routes.MapGet("/config", () => Json(new { compatibilityLevel = store.GlobalLevel.ToString() }));
        routes.MapPut(
            "/config",
            (HttpRequest request) =>
                Handle(async () =>
                {
                    var level = await ReadCompatibilityAsync(request);
                    store.GlobalLevel = level;
                    return Json(new { compatibility = level.ToString() });
                })
        );
        routes.MapGet(
            "/config/{subject}",
            (string subject, [FromQuery] bool? defaultToGlobal) =>
                Handle(() =>
                {
                    var level =
                        store.SubjectLevel(subject)
                        ?? (
                            defaultToGlobal == true
                                ? store.GlobalLevel
                                : throw RegistryApiException.SubjectConfigNotFound(subject)
                        );
                    return Task.FromResult(Json(new { compatibilityLevel = level.ToString() }));
                })
        );
        routes.MapPut(
            "/config/{subject}",
            (string subject, HttpRequest request) =>
                Handle(async () =>
                {
                    var level = await ReadCompatibilityAsync(request);
                    store.SetSubjectLevel(subject, level);
                    return Json(new { compatibility = level.ToString() });
                })
        );
        routes.MapDelete(
            "/config/{subject}",
            (string subject) =>
                Handle(() =>
                {
                    var level =
                        store.SubjectLevel(subject) ?? throw RegistryApiException.SubjectConfigNotFound(subject);
                    store.DeleteSubjectLevel(subject);
                    return Task.FromResult(Json(new { compatibilityLevel = level.ToString() }));
                })
        );

        routes.MapPost(
            "/compatibility/subjects/{subject}/versions/{version}",
            (string subject, string version, [FromQuery] bool? verbose, HttpRequest request) =>
                Handle(async () =>
                {
                    var schema = await ReadSchemaAsync(request);
                    var compatible = store.IsCompatible(subject, version, schema, out var problem);
                    return verbose == true
                        ? Json(
                            new
                            {
                                is_compatible = compatible,
                                messages = problem is null ? Array.Empty<string>() : [problem],
                            }
                        )
                        : Json(new { is_compatible = compatible });
                })
        );

        return routes;
    }

    private static object Describe(RegisteredSchema schema) =>
        new
        {
            subject = schema.Subject,
            version = schema.Version,
            id = schema.Id,
            schema = schema.Schema,
        };

    private static async Task<IResult> Handle(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RegistryApiException ex)
        {
            return Error(ex.Status, ex.ErrorCode, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The registry's own code for an internal error, so clients still get its error shape.
            return Error(
                StatusCodes.Status500InternalServerError,
                50001,
                "Error in the backend data store: " + ex.Message
            );
        }
    }

    private static IResult Error(int status, int errorCode, string message) =>
        Results.Json(new { error_code = errorCode, message }, statusCode: status, contentType: ContentType);

    private static IResult Json(object value) => Results.Json(value, contentType: ContentType);

    private static IResult Raw(string schema) => Results.Text(schema, ContentType);

    private static async Task<JsonElement> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(
                request.Body,
                cancellationToken: request.HttpContext.RequestAborted
            );
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw RegistryApiException.BadRequest("The request body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw RegistryApiException.BadRequest("Malformed JSON: " + ex.Message);
        }
    }

    private static async Task<string> ReadSchemaAsync(HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        if (
            body.TryGetProperty("schemaType", out var type)
            && type.ValueKind == JsonValueKind.String
            && type.GetString() != "AVRO"
        )
        {
            throw RegistryApiException.InvalidSchema(
                $"schema type '{type.GetString()}' is not supported by the embedded registry (AVRO only)"
            );
        }

        if (
            body.TryGetProperty("references", out var references)
            && references.ValueKind == JsonValueKind.Array
            && references.GetArrayLength() > 0
        )
        {
            throw RegistryApiException.InvalidSchema("schema references are not supported by the embedded registry");
        }

        return body.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.String
            ? schema.GetString()!
            : throw RegistryApiException.InvalidSchema("the body has no string field 'schema'");
    }

    private static async Task<CompatibilityLevel> ReadCompatibilityAsync(HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        var text =
            body.TryGetProperty("compatibility", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : string.Empty;
        return Enum.TryParse<CompatibilityLevel>(text, ignoreCase: true, out var level) && !int.TryParse(text, out _)
            ? level
            : throw RegistryApiException.InvalidCompatibility(text);
    }
}
