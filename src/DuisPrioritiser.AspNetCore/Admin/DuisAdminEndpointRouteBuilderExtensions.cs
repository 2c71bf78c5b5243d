using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using DuisPrioritiser.AspNetCore.Admin.Internal;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser;

/// <summary>Maps the DuisPrioritiser admin API and its live dashboard.</summary>
public static class DuisAdminEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the admin API and dashboard under <paramref name="pattern"/>, open only to users the default
    /// authorization policy admits (authenticated users, unless you changed it). Never anonymous unless you call
    /// <c>AllowAnonymous()</c> on the returned builder yourself.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="pattern">The route prefix, for example <c>/duis-admin</c>.</param>
    /// <returns>The group's convention builder.</returns>
    /// <remarks>See <see cref="MapDuisPrioritiserAdmin(IEndpointRouteBuilder, string, string)"/> for the endpoints.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddResponsePrioritisation</c> was not called.</exception>
    public static RouteGroupBuilder MapDuisPrioritiserAdmin(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern)
    {
        var group = MapAdmin(endpoints, pattern);
        group.RequireAuthorization();
        return group;
    }

    /// <summary>
    /// Maps the admin API and dashboard under <paramref name="pattern"/>, open only to users who satisfy the
    /// authorization policy named <paramref name="policyName"/> (registered with <c>AddAuthorization</c>).
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="pattern">The route prefix, for example <c>/duis-admin</c>.</param>
    /// <param name="policyName">The authorization policy operators must satisfy.</param>
    /// <returns>The group's convention builder.</returns>
    /// <remarks>
    /// <para>Endpoints, relative to <paramref name="pattern"/> (JSON unless stated; errors as <c>application/problem+json</c>):</para>
    /// <list type="bullet">
    /// <item><c>GET /snapshot</c>: held per level, oldest wait, in flight, capacity, mode, pause state, in-flight limit.</item>
    /// <item><c>POST /release/pause</c>, <c>POST /release/resume</c>: pause or resume the hosted release loop (intake goes on); answers with the snapshot.</item>
    /// <item><c>POST /recovery/enter</c>, <c>POST /recovery/leave</c>: switch Recovery mode now; answers with the snapshot.</item>
    /// <item><c>GET /configuration</c>: the effective options, with secrets (passwords, connection strings) redacted.</item>
    /// <item><c>GET /dead-letters</c>, <c>POST /dead-letters/{id}/replay</c>, <c>DELETE /dead-letters/{id}</c>: list,
    /// replay and purge dead letters; 501 until a dead-letter store is registered.</item>
    /// <item><c>GET /dashboard/</c>: the live dashboard (HTML served from the package; nothing from the internet), fed by <c>GET /dashboard/data</c>.</item>
    /// </list>
    /// <para>Actions are logged (event 9101) with the user's name. Mutations are <c>POST</c>/<c>DELETE</c>: with cookie
    /// authentication, add antiforgery or a header-based scheme so another site cannot post them in an operator's name.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="policyName"/> is empty.</exception>
    /// <exception cref="InvalidOperationException"><c>AddResponsePrioritisation</c> was not called.</exception>
    public static RouteGroupBuilder MapDuisPrioritiserAdmin(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern, string policyName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policyName);
        var group = MapAdmin(endpoints, pattern);
        group.RequireAuthorization(policyName);
        return group;
    }

    private static RouteGroupBuilder MapAdmin(IEndpointRouteBuilder endpoints, string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var services = endpoints.ServiceProvider;
        if (services.GetService<IResponseReleaseScheduler>() is not { } scheduler)
        {
            throw new InvalidOperationException("MapDuisPrioritiserAdmin needs DuisPrioritiser: call builder.Services.AddResponsePrioritisation(...) before building the application.");
        }

        var timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var collector = new DashboardCollector(scheduler, services.GetService<IReleaseControl>(), services.GetService<IMeterFactory>(), timeProvider);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(collector.Dispose);
        var admin = new AdminEndpoints(services, scheduler, collector, services.GetRequiredService<ILoggerFactory>().CreateLogger("DuisPrioritiser.AspNetCore.Admin"));
        var group = endpoints.MapGroup(pattern);
        group.WithDisplayName("DuisPrioritiser admin");
        admin.Map(group);
        return group;
    }
}
