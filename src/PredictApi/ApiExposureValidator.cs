using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// Secure by default: the API's write endpoints (model reload, promotion, predict with an explicit
/// arm) change what the worker serves, so with neither <c>Api:Keys</c> nor <c>Api:Jwt</c> the worker
/// refuses to start on any address other than loopback, unless <c>Api:AllowUnauthenticated</c> says
/// the open API is on purpose. The addresses are the ones the host will listen on, from the
/// configuration it binds them from (<c>urls</c>/<c>ASPNETCORE_URLS</c>, <c>http_ports</c>/
/// <c>ASPNETCORE_HTTP_PORTS</c>, <c>Kestrel:Endpoints:*:Url</c>), checked before anything listens.
/// </summary>
public sealed class ApiExposureValidator(IConfiguration configuration) : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        if (options.Keys.Count > 0 || options.Jwt.Enabled || options.AllowUnauthenticated)
        {
            return ValidateOptionsResult.Success;
        }

        var exposed = ListenAddresses(configuration).Where(a => !IsLoopback(a)).ToList();
        return exposed.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"The API would listen on {string.Join(", ", exposed)} with no authentication: anyone who can "
                    + "reach it could reload or promote models. Set Api:Keys:0 (env Api__Keys__0) to a long random key "
                    + "or configure Api:Jwt, or set Api:AllowUnauthenticated=true if an open API on that address is "
                    + "on purpose."
            );
    }

    /// <summary>Every address the host is configured to listen on; a bare port (<c>http_ports</c>) is every
    /// interface.</summary>
    public static IEnumerable<string> ListenAddresses(IConfiguration configuration)
    {
        foreach (var key in new[] { "urls", "https_ports", "http_ports" })
        {
            foreach (var part in Split(configuration[key]))
            {
                yield return key == "urls" ? part : $"*:{part}";
            }
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                yield return url;
            }
        }
    }

    /// <summary>True for <c>localhost</c>, 127.0.0.0/8 and <c>[::1]</c>; false for wildcards (<c>+</c>, <c>*</c>,
    /// <c>0.0.0.0</c>, <c>[::]</c>), host names and every other address.</summary>
    public static bool IsLoopback(string address)
    {
        var text = address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address;
        // Uri does not take the wildcards; they are never loopback.
        var host = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/')[0];
        if (host.StartsWith('[') && host.IndexOf(']', StringComparison.Ordinal) is var end and > 0)
        {
            host = host[1..end];
        }
        else if (host.LastIndexOf(':') is var colon and > 0)
        {
            host = host[..colon];
        }

        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static string[] Split(string? value) =>
        (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
