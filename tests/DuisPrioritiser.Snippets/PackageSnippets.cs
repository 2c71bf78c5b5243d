using DuisPrioritiser;
using DuisPrioritiser.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DuisPrioritiser.Snippets;

/// <summary>The snippets of the package READMEs.</summary>
internal static class PackageSnippets
{
    public static void HealthChecks(WebApplicationBuilder builder, WebApplication app)
    {
        #region healthchecks-readme
        builder.Services.AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
            .AddHealthCheck(tags: ["ready"]);

        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResponseWriter = (context, report) =>
            {
                context.Response.ContentType = HealthReportJsonWriter.ContentType;
                return HealthReportJsonWriter.WriteAsync(context.Response.Body, report, context.RequestAborted);
            },
        });
        #endregion
    }

    public static void OpenTelemetry(WebApplicationBuilder builder)
    {
        #region opentelemetry-readme
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddDuisPrioritiserInstrumentation())
            .WithTracing(tracing => tracing.AddDuisPrioritiserInstrumentation());
        #endregion
    }

    public static void PostgreSql(WebApplicationBuilder builder)
    {
        #region postgresql-readme
        builder.Services.AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
            .UsePostgreSql(builder.Configuration.GetConnectionString("Backlog")!, o =>
            {
                o.Schema = "duis";                       // every instance sharing the backlog uses the same schema and prefix
                o.LeaseTime = TimeSpan.FromSeconds(30);  // a dead instance's claims become claimable again after this
            });
        #endregion
    }
}
