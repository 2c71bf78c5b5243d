// The README's "Using it" example is this program, whole: it compiles with the usings it shows.
#region readme-using-it
using DuisPrioritiser;
using DuisPrioritiser.Release;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<IMyBackEnd, MyBackEnd>();
builder.Services
    .AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
    .AddHandler<BackEndForwarder>()            // push mode: a hosted loop calls your IResponseHandler
    .UseFileJournal("/var/lib/adapter/duis")   // optional: durable before you acknowledge the DCC
    .AddHealthCheck();                          // optional (DuisPrioritiser.HealthChecks): Degraded while recovering

var app = builder.Build();

// Your HTTPS receive endpoint: read + classify + enqueue in one call; never throws for bad input.
app.MapPost("/duis", async (HttpRequest request, IResponseReleaseScheduler scheduler, CancellationToken ct) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body, ct);   // put a size limit in front of this in production
    IntakeResult result = await scheduler.EnqueueAsync(body.ToArray(), ct);
    return result.Status switch
    {
        IntakeStatus.Accepted or IntakeStatus.AcceptedDuplicate => Results.NoContent(), // safe to acknowledge
        IntakeStatus.RejectedInvalid => Results.BadRequest(result.Error.Message),
        _ => Results.StatusCode(503),                                                   // the DCC retries later
    };
});
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
