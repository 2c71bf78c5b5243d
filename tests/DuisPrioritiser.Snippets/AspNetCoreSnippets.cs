using System.Security.Cryptography.X509Certificates;
using DuisPrioritiser;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Snippets;

/// <summary>The snippets of the DuisPrioritiser.AspNetCore README and docs/aspnetcore.md.</summary>
internal static class AspNetCoreSnippets
{
    public static void Program(string[] args)
    {
        #region aspnetcore-program
        var builder = WebApplication.CreateBuilder(args);
        builder.Services
            .AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
            .AddDuisIntake(builder.Configuration.GetSection("DuisIntake"))   // optional: Retry-After values, client certificates
            .AddHandler<BackEndForwarder>();
        builder.Services.AddAuthentication(/* your scheme */);
        builder.Services.AddAuthorizationBuilder().AddPolicy("DuisOperators", p => p.RequireRole("duis-operator"));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapDuisIntake("/duis");                                  // POST DUIS XML here
        app.MapDuisPrioritiserAdmin("/duis-admin", "DuisOperators");  // admin API + dashboard at /duis-admin/dashboard/
        app.Run();
        #endregion
    }

    public static void MutualTls(WebApplicationBuilder builder, X509Certificate2 serverCertificate)
    {
        #region aspnetcore-mtls
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(8443, listen =>
            listen.UseHttps(serverCertificate, https => https.UseDuisClientCertificates())));
        #endregion
    }

    private sealed class BackEndForwarder : IResponseHandler
    {
        public ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
