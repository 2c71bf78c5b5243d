using System.Text.Json.Serialization;
using AdapterGateway.BackEnd;
using AdapterGateway.Security;
using DuisPrioritiser;
using DuisPrioritiser.AspNetCore;
using DuisPrioritiser.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace AdapterGateway;

/// <summary>Builds the gateway: used by <c>Program.cs</c> and, in-process, by the tests.</summary>
public static class AdapterGatewayApp
{
    /// <summary>Builds the gateway application, ready to run.</summary>
    /// <param name="args">Command-line arguments (for example <c>--urls http://127.0.0.1:0</c>).</param>
    /// <param name="configure">Adjusts the builder before the app is built, for example to add configuration in a test.</param>
    /// <returns>The application; start it with <c>RunAsync</c> or <c>StartAsync</c>.</returns>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(AdapterGatewayApp).Assembly.GetName().Name,

            // appsettings.json is copied next to the binaries, so the gateway finds it from any working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });

        // DuisPrioritiser, configured from the "DuisPrioritiser" section of appsettings.json, releasing to the
        // simulated back-end. The durable journal (DuisPrioritiser:Journal:Directory, or .UseFileJournal(path) on
        // this builder) makes POST /duis answer 204 only once the message is on disk.
        var prioritisation = builder.Services
            .AddResponsePrioritisation(builder.Configuration.GetSection(ResponsePrioritisationOptions.SectionName))
            .AddDuisIntake(builder.Configuration.GetSection(DuisIntakeOptions.SectionName))
            .AddHandler<SimulatedBackEnd>()
            .AddHealthCheck();

        // The admin API and dashboard are for operators only: here, whoever sends AdapterGateway:OperatorKey.
        builder.Services.AddAuthentication(OperatorKeyAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, OperatorKeyAuthentication>(OperatorKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(OperatorKeyAuthentication.Policy, policy => policy.RequireRole("duis-operator"));

        builder.Services.AddSingleton<BackEndControl>();
        builder.Services.AddOptions<SimulatedBackEndOptions>()
            .Bind(builder.Configuration.GetSection(SimulatedBackEndOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Metrics in Prometheus text format at /metrics: the DuisPrioritiser meter and the HTTP server's own.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("AdapterGateway"))
            .WithMetrics(metrics => metrics
            .AddDuisPrioritiserInstrumentation()
            .AddMeter("Microsoft.AspNetCore.Hosting")
            .AddPrometheusExporter());

        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        configure?.Invoke(builder);

        // Scale-out (read after `configure`, so a test's configuration counts): one setting,
        // ConnectionStrings:DuisBacklog (or the environment variable ConnectionStrings__DuisBacklog), puts the backlog
        // in PostgreSQL, shared by every gateway instance pointing at the same database (options in the "PostgreSqlBacklog" section). POST /duis then answers 204 only once the
        // message is committed there, and 503 + Retry-After while the database cannot be reached.
        var backlog = builder.Configuration.GetConnectionString("DuisBacklog");
        if (!string.IsNullOrWhiteSpace(backlog))
        {
            prioritisation.UsePostgreSql(backlog);
            builder.Services.Configure<DuisPrioritiser.PostgreSql.PostgreSqlBacklogOptions>(builder.Configuration.GetSection("PostgreSqlBacklog"));
        }

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();

        // POST /duis: 204 once accepted, 400/413/415 for what cannot be accepted, 503 + Retry-After when full.
        app.MapDuisIntake("/duis");

        // /duis-admin: snapshot, pause/resume release, Recovery, configuration; the dashboard at /duis-admin/dashboard/.
        app.MapDuisPrioritiserAdmin("/duis-admin", OperatorKeyAuthentication.Policy);
        app.MapGet("/status", StatusEndpoint.Get);
        app.MapGet("/processed", BackEndEndpoints.GetProcessed);
        app.MapPost("/backend/pause", BackEndEndpoints.Pause);
        app.MapPost("/backend/resume", BackEndEndpoints.Resume);
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            // The report as JSON, with the check's data (mode, held per level, Critical's oldest wait, in flight).
            ResponseWriter = (context, report) =>
            {
                context.Response.ContentType = HealthReportJsonWriter.ContentType;
                return HealthReportJsonWriter.WriteAsync(context.Response.Body, report, context.RequestAborted);
            },
        });
        app.MapPrometheusScrapingEndpoint();
        return app;
    }
}
