// The README's "Using it" example is this program, whole: it compiles with the usings it shows.
#region readme-using-it
using DuisPrioritiser;
using DuisPrioritiser.Release;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<IMyBackEnd, MyBackEnd>();
builder.Services
    .AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
    .AddDuisIntake(builder.Configuration.GetSection("DuisIntake"))   // DuisPrioritiser.AspNetCore: Retry-After, client certificates
    .UseHandler<BackEndForwarder>()            // push mode: a hosted loop calls your IResponseHandler (one scope per message)
    .UseFileJournal("/var/lib/adapter/duis")   // optional: durable before you acknowledge the DCC
    .AddHealthCheck();                          // optional (DuisPrioritiser.HealthChecks): Degraded while recovering
builder.Services.AddAuthentication(/* your operators' scheme */);
builder.Services.AddAuthorizationBuilder().AddPolicy("DuisOperators", p => p.RequireRole("duis-operator"));

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

// The receive endpoint: streams the body under the reader's size limit, then read + classify + enqueue.
// 204 when accepted (durable first, with a journal or PostgreSQL), 400 problem+json for invalid XML, 413/415,
// 503 + Retry-After when full, completing or the store is unavailable: the DCC keeps what it was not given a 2xx for.
app.MapDuisIntake("/duis");

// Operators only: snapshot, pause/resume release, Recovery, configuration, and the live dashboard at /duis-admin/dashboard/.
app.MapDuisPrioritiserAdmin("/duis-admin", "DuisOperators");
app.MapHealthChecks("/health");
app.Run();

sealed class BackEndForwarder(IMyBackEnd backEnd) : IResponseHandler
{
    public async ValueTask HandleAsync(ReleasedMessage message, CancellationToken ct)
        => await backEnd.ProcessAsync(message.Message.RawMessage, ct);   // the exact bytes received
}
#endregion

interface IMyBackEnd
{
    ValueTask ProcessAsync(ReadOnlyMemory<byte> raw, CancellationToken ct);
}

sealed class MyBackEnd : IMyBackEnd
{
    public ValueTask ProcessAsync(ReadOnlyMemory<byte> raw, CancellationToken ct) => ValueTask.CompletedTask;
}
