using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Inference.Streaming.PredictApi;

/// <summary>Registers what the HTTP API needs besides the host's own services.</summary>
public static class PredictApiServiceExtensions
{
    public static IServiceCollection AddPredictApi(this IServiceCollection services)
    {
        services
            .AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiExposureValidator>();
        services.AddSingleton<PredictMetrics>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddSingleton<ApiAccess>();
        services.AddAuthentication().AddJwtBearer();
        services
            .AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<ApiOptions>>((bearer, api) => Configure(bearer, api.Value.Jwt));
        services.AddProblemDetails();
        services.AddOpenApi(options => options.AddSecuritySchemes());
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(
                PredictEndpoints.RateLimitPolicy,
                context =>
                {
                    var permits = context
                        .RequestServices.GetRequiredService<IOptions<ApiOptions>>()
                        .Value.RateLimit.PermitsPerMinute;
                    if (permits <= 0)
                    {
                        return RateLimitPartition.GetNoLimiter("unlimited");
                    }

                    // Per client: its API key once that key authenticates, else its address. A made-up key is
                    // no new client: it counts against the address it came from.
                    var client =
                        context
                            .RequestServices.GetRequiredService<ApiKeys>()
                            .Identify(context.Request.Headers[ApiOptions.KeyHeader].ToString())
                        ?? "ip:" + context.Connection.RemoteIpAddress;
                    return RateLimitPartition.GetFixedWindowLimiter(
                        client,
                        _ => new FixedWindowRateLimiterOptions
                        {
                            PermitLimit = permits,
                            Window = TimeSpan.FromMinutes(1),
                            QueueLimit = 0,
                        }
                    );
                }
            );
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                RetryAfter.Set(rejected.HttpContext.Response, RetryAfter.Of(rejected.Lease));
                var problems = rejected.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(
                    new ProblemDetailsContext
                    {
                        HttpContext = rejected.HttpContext,
                        ProblemDetails =
                        {
                            Type = "https://tools.ietf.org/html/rfc6585#section-4",
                            Status = StatusCodes.Status429TooManyRequests,
                            Title = "Too many requests",
                            Detail = "The per-client rate limit (Api:RateLimit:PermitsPerMinute) is exhausted.",
                        },
                    }
                );
            };
        });
        return services;
    }

    /// <summary>JwtBearer from <c>Api:Jwt:*</c>: OIDC discovery from the authority, or a symmetric key and
    /// issuer.</summary>
    private static void Configure(JwtBearerOptions bearer, JwtOptions jwt)
    {
        // Claim names as the token has them ("scope", "scp", "sub"), not WS-Federation URIs.
        bearer.MapInboundClaims = false;
        bearer.Audience = jwt.Audience;
        bearer.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
        bearer.Events ??= new JwtBearerEvents();
        bearer.Events.OnTokenValidated = NumericDates.CheckAsync;
        var validation = bearer.TokenValidationParameters;
        validation.RequireExpirationTime = true;
        validation.ValidAudience = jwt.Audience;
        validation.ClockSkew = jwt.ClockSkew;
        if (!string.IsNullOrEmpty(jwt.Authority))
        {
            bearer.Authority = jwt.Authority;
        }
        else if (!string.IsNullOrEmpty(jwt.SigningKey))
        {
            validation.ValidIssuer = jwt.Issuer;
            validation.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SigningKey));
            validation.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
    }
}
