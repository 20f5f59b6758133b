namespace Inference.Streaming.Worker.Embedded.SchemaRegistry;

/// <summary>An error with Confluent Schema Registry's HTTP status and error code.</summary>
public sealed class RegistryApiException(int status, int errorCode, string message) : Exception(message)
{
    public int Status { get; } = status;

    public int ErrorCode { get; } = errorCode;

    public static RegistryApiException SubjectNotFound(string subject) =>
        new(404, 40401, $"Subject '{subject}' not found.");

    public static RegistryApiException VersionNotFound(int version) => new(404, 40402, $"Version {version} not found.");

    public static RegistryApiException SchemaNotFound(string detail) => new(404, 40403, $"Schema {detail} not found");

    public static RegistryApiException SubjectConfigNotFound(string subject) =>
        new(404, 40408, $"Subject '{subject}' does not have subject-level compatibility configured");

    public static RegistryApiException Incompatible(string detail) =>
        new(409, 409, "Schema being registered is incompatible with an earlier schema for subject: " + detail);

    public static RegistryApiException InvalidSchema(string detail) => new(422, 42201, "Invalid schema: " + detail);

    public static RegistryApiException InvalidVersion(string version) =>
        new(
            422,
            42202,
            $"The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] "
                + "and the string \"latest\""
        );

    public static RegistryApiException InvalidCompatibility(string level) =>
        new(
            422,
            42203,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, "
                + $"forward_transitive, and full_transitive (was '{level}')"
        );

    public static RegistryApiException BadRequest(string detail) => new(400, 400, detail);
}
