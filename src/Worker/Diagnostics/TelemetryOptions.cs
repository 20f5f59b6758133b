namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Where traces and metrics are exported (<c>Telemetry:*</c>); nothing leaves the process by
/// default.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>OpenTelemetry Protocol export (<c>Telemetry:Otlp:*</c>).</summary>
    public sealed class OtlpOptions
    {
        /// <summary>The collector's endpoint (e.g. <c>http://collector:4317</c>); empty turns export off.</summary>
        public Uri? Endpoint { get; set; }
    }

    /// <summary>The settings in <paramref name="configuration"/>, checked: OpenTelemetry's exporters are chosen when
    /// the host is composed, before options exist.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The endpoint is not an absolute
    /// http(s) URL.</exception>
    public static TelemetryOptions From(IConfiguration configuration)
    {
        TelemetryOptions options;
        try
        {
            options = configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw Invalid($"Telemetry:Otlp:Endpoint is not a URL ({ex.InnerException?.Message ?? ex.Message}).");
        }

        // Blank is off, as unset is (the binder turns "" into null, but "  " into a relative URI).
        if (string.IsNullOrWhiteSpace(options.Otlp.Endpoint?.OriginalString))
        {
            options.Otlp.Endpoint = null;
        }

        if (
            options.Otlp.Endpoint is { } endpoint
            && (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https"))
        )
        {
            throw Invalid($"Telemetry:Otlp:Endpoint '{endpoint}' must be an absolute http or https URL.");
        }

        return options;
    }

    /// <summary>Whether <paramref name="signal"/> (<c>TRACES</c> or <c>METRICS</c>) goes to an OTLP collector:
    /// <c>Telemetry:Otlp:Endpoint</c> is set, or one of the OpenTelemetry standard variables for it,
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_{signal}_ENDPOINT</c> (as environment variables
    /// they reach <paramref name="configuration"/> under the same names).</summary>
    public bool Exports(IConfiguration configuration, string signal) =>
        Otlp.Endpoint is not null
        || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"]);

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string failure) =>
        new(Section, typeof(TelemetryOptions), [failure]);
}
