using System.Diagnostics.CodeAnalysis;
using DuisPrioritiser.AspNetCore;
using DuisPrioritiser.AspNetCore.Intake.Internal;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser;

/// <summary>Maps the DUIS receive endpoint.</summary>
public static class DuisIntakeEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST <paramref name="pattern"/></c>, the endpoint the DCC delivers DUIS Service Responses and Alerts to.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="pattern">The route, for example <c>/duis</c>.</param>
    /// <returns>The endpoint's convention builder, to chain for example <c>.RequireHost(...)</c> or rate limiting.</returns>
    /// <remarks>
    /// <para>Answers:</para>
    /// <list type="bullet">
    /// <item><b>204</b> accepted (with a durable store, once durable), with the level in <see cref="DuisIntakeHeaders.Priority"/>;
    /// also for a redelivered duplicate, with <see cref="DuisIntakeHeaders.Duplicate"/> <c>true</c>.</item>
    /// <item><b>400</b> <c>application/problem+json</c> for an unreadable message, with the reader's <c>code</c>, <c>line</c>, <c>column</c> and <c>offset</c>.</item>
    /// <item><b>403</b> when a client certificate is required (<see cref="DuisClientCertificateOptions.Required"/>) and none trusted was presented.</item>
    /// <item><b>413</b> for a body over <c>DuisPrioritiser:Reader:MaxMessageBytes</c>, refused without buffering it.</item>
    /// <item><b>415</b> for a content type other than XML (<c>application/xml</c>, <c>text/xml</c>, <c>application/*+xml</c>).</item>
    /// <item><b>503</b> with <c>Retry-After</c> at capacity, after the scheduler completed, or when the store cannot make the message durable.</item>
    /// </list>
    /// <para>Every answer but 204 leaves the message the DCC's to resend: nothing is lost. Options come from
    /// <see cref="DuisIntakeOptions"/> (<c>AddDuisIntake</c>); the defaults apply without it.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddResponsePrioritisation</c> was not called, or the client-certificate options are invalid.</exception>
    public static RouteHandlerBuilder MapDuisIntake(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var services = endpoints.ServiceProvider;
        if (services.GetService<IResponseReleaseScheduler>() is not { } scheduler)
        {
            throw new InvalidOperationException("MapDuisIntake needs DuisPrioritiser: call builder.Services.AddResponsePrioritisation(...) before building the application.");
        }

        var handler = new DuisIntakeHandler(
            scheduler,
            services.GetRequiredService<IOptions<ResponsePrioritisationOptions>>(),
            services.GetRequiredService<IOptions<DuisIntakeOptions>>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILogger<DuisIntakeHandler>>());
        return endpoints.MapPost(pattern, (Func<HttpContext, Task>)handler.HandleAsync)
            .WithDisplayName("DUIS intake");
    }
}
