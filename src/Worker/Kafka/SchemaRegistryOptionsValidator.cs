using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>A real cluster needs a real registry: <c>SchemaRegistry:Url</c> must be an absolute http(s) URL.</summary>
public sealed class SchemaRegistryOptionsValidator(IOptions<KafkaOptions> kafka)
    : IValidateOptions<SchemaRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, SchemaRegistryOptions options)
    {
        if (kafka.Value.IsEmbedded)
        {
            return ValidateOptionsResult.Success;
        }

        if (string.IsNullOrWhiteSpace(options.Url))
        {
            return ValidateOptionsResult.Fail("SchemaRegistry:Url is required when Kafka:BootstrapServers is set.");
        }

        foreach (
            var url in options.Url.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        )
        {
            if (
                !Uri.TryCreate(url, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            )
            {
                return ValidateOptionsResult.Fail($"SchemaRegistry:Url '{url}' is not an absolute http or https URL.");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
