using DuisPrioritiser;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Health;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using DuisPrioritiser.Tuning;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DuisPrioritiser.Snippets;

/// <summary>The snippets of README.md and docs/, each in the context it needs to compile.</summary>
internal static class DocumentSnippets
{
    public static async Task PullMode(IResponseReleaseScheduler scheduler, CancellationToken stoppingToken)
    {
        #region readme-pull-mode
        await foreach (ReleasedMessage released in scheduler.ReadAllAsync(stoppingToken))
        {
            await Process(released.Message, stoppingToken);
            await scheduler.AcknowledgeAsync(released, ReleaseOutcome.Handled, stoppingToken);
        }
        #endregion
    }

    public static void ScaleOut(WebApplicationBuilder builder)
    {
        #region scale-out-use-postgresql
        builder.Services.AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
            .UsePostgreSql(builder.Configuration.GetConnectionString("DuisBacklog")!);
        #endregion
    }

    public static void UseBacklogStore(IServiceCollection services, Func<IServiceProvider, IBacklogStore> createMyStore)
    {
        #region architecture-use-backlog-store
        services.AddResponsePrioritisation()
            .UseBacklogStore(sp => createMyStore(sp));   // or .UseBacklogStore<MyStore>()
        // DuisPrioritiser.PostgreSql's .UsePostgreSql(...) registers its store the same way.
        #endregion
    }

    public static void Tuning(WebApplication app)
    {
        #region configuration-tuning
        var tuning = app.Services.GetRequiredService<IPrioritisationTuning>();
        TuningResult result = tuning.Apply(o => o.Traffic.Bulk.Recovery.Rate = 50);
        // result.Applied, result.Changes ("Traffic:Bulk:Recovery:Rate: 0 -> 50"), result.Errors
        #endregion
    }

    public static void ReaderParse(ReadOnlyMemory<byte> body)
    {
        #region duis-reader-parse
        if (DuisMessage.TryParse(body, out var message, out var error))   // body: ReadOnlyMemory<byte> of the HTTPS POST
        {
            // message.Kind, .ServiceReferenceVariant, .ResponseCode, .AlertCode, .DccAlertPayloadName,
            // .IsDccScheduled, .FutureDatedOutcome, .ThrottledAlertCount, .ResponseDateTime, .RequestId, .ResponseId,
            // .RawMessage (the very bytes you passed, never copied or altered)
        }
        else
        {
            // error.Code (DuisParseErrorCode), error.Offset (byte), error.Line, error.Column, error.Message
            // e.g. "The AlertCode 'ZZZZ' is not a hexadecimal code of 1 to 8 digits (byte 412, line 1, column 413)."
        }

        var strict = DuisMessage.Parse(body);   // throws DuisFormatException carrying the same DuisParseError
        var limited = DuisMessage.TryParse(body, new DuisReaderOptions { MaxMessageBytes = 1 << 20 }, out var m, out var e);
        #endregion
    }

    public static void ReaderIntake(IResponseReleaseScheduler scheduler, ReadOnlyMemory<byte> body)
    {
        #region duis-reader-intake
        IntakeResult result = scheduler.TryEnqueue(body);              // or: await scheduler.EnqueueAsync(body, ct)
        switch (result.Status)
        {
            case IntakeStatus.Accepted:          /* result.Level, result.Message */ break;
            case IntakeStatus.RejectedFull:      /* back-pressure: answer 503, retry later; result.Message is read */ break;
            case IntakeStatus.RejectedInvalid:   /* answer 400 with result.Error.Message; nothing was enqueued */ break;
            case IntakeStatus.RejectedCompleted: /* shutting down */ break;
            case IntakeStatus.Unavailable:       /* a remote backlog store is unreachable: answer 503, nothing was stored */ break;
        }
        #endregion
    }

    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        #region duis-reader-register
        services.AddResponsePrioritisation(configuration.GetSection("DuisPrioritiser"));
        #endregion
    }

    public static void Journal(IServiceCollection services, IConfiguration configuration)
    {
        #region journal-register
        services.AddResponsePrioritisation(configuration.GetSection("DuisPrioritiser"))
                .UseFileJournal("/var/lib/my-adapter/duis-journal");          // one directory per scheduler
                // .UseFileJournal(dir, o => o.FlushPolicy = JournalFlushPolicy.EveryMessage)
                // .ConfigureDeduplication(o => o.MaxAge = TimeSpan.FromHours(6))
        #endregion
    }

    public static async Task<IResult> JournalAcknowledge(IResponseReleaseScheduler scheduler, DuisMessage message, CancellationToken ct)
    {
        #region journal-acknowledge
        var result = await scheduler.EnqueueWithResultAsync(message, ct);      // durable when it returns Accepted
        return result is EnqueueResult.Accepted or EnqueueResult.AcceptedDuplicate
            ? Results.Ok()                                                     // 2xx: the DCC will not resend
            : Results.StatusCode(503);                                         // full or stopping: the DCC resends later
        // JournalWriteException (disk full): not accepted, answer 5xx
        #endregion
    }

    public static void Operations(WebApplicationBuilder builder)
    {
        #region operations-wiring
        builder.Services.AddOpenTelemetry()
            .WithMetrics(m => m.AddDuisPrioritiserInstrumentation())   // DuisPrioritiser.OpenTelemetry: the "DuisPrioritiser" meter
            .WithTracing(t => t.AddDuisPrioritiserInstrumentation());  // and activity source

        builder.Services.AddResponsePrioritisation(builder.Configuration.GetSection("DuisPrioritiser"))
            .UseHandler<BackEndForwarder>()
            .AddHealthCheck(tags: ["ready"]);                           // DuisPrioritiser.HealthChecks
        #endregion
    }

    public static void OperationsHealth(WebApplication app)
    {
        #region operations-health
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

    public static void Traffic(IServiceCollection services, IConfiguration configuration, IServiceProvider serviceProvider)
    {
        #region traffic-handler
        services.AddResponsePrioritisation(configuration.GetSection("DuisPrioritiser"))
            .UseHandler<MyBackEndHandler>()            // or .UseHandler((message, ct) => ...)
            .UseDeadLetterSink<MyDeadLetterStore>();   // optional: the default stores them (bytes kept) and logs event 4011

        // When the adapter learns that the DCC is restored:
        serviceProvider.GetRequiredService<IRecoveryControl>().EnterRecovery();
        #endregion
    }

    private static Task Process(DuisMessage message, CancellationToken ct) => Task.CompletedTask;

    private sealed class MyBackEndHandler : IResponseHandler
    {
        public ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class MyDeadLetterStore : IDeadLetterSink
    {
        public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>A handler for consolidated alerts (docs/traffic-management.md).</summary>
    private sealed class ConsolidatingHandler : IResponseHandler
    {
        #region consolidation-handler
        // "Traffic": { "Consolidation": { "Levels": [ "Bulk" ], "Window": "00:05:00", "MaxGroupSize": 100 } }
        public async ValueTask HandleAsync(ReleasedMessage released, CancellationToken cancellationToken)
        {
            await SendAsync(released.Message, cancellationToken);   // the group's first alert
            foreach (var repeat in released.Repeats)                 // its repeats, oldest first
            {
                await RecordRepeatAsync(repeat.ResponseId, repeat.RawMessage, cancellationToken);   // exact bytes and ids
            }

            // released.Repeats.Count, FirstReceivedAt and LastReceivedAt summarise the group
        }
        #endregion

        private static Task SendAsync(DuisMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

        private static Task RecordRepeatAsync(string? responseId, ReadOnlyMemory<byte> rawMessage, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
