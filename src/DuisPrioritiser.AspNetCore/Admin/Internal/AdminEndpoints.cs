using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DuisPrioritiser.Classification;
using DuisPrioritiser.DeadLetters;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.AspNetCore.Admin.Internal;

/// <summary>The admin API's handlers. JSON is written with <see cref="Utf8JsonWriter"/>, so its shape is stated here and stable.</summary>
/// <remarks>Thread-safe: the handlers share only thread-safe services.</remarks>
internal sealed class AdminEndpoints
{
    internal const string DeadLetterStoreMissingType = "urn:duis-prioritiser:problem:no-dead-letter-store";

    private static readonly JsonSerializerOptions s_configurationJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly string[] s_secretWords = ["password", "secret", "connectionstring", "token", "apikey"];

    private readonly IServiceProvider _services;
    private readonly IResponseReleaseScheduler _scheduler;
    private readonly DashboardCollector _collector;
    private readonly ILogger _logger;

    public AdminEndpoints(IServiceProvider services, IResponseReleaseScheduler scheduler, DashboardCollector collector, ILogger logger)
    {
        _services = services;
        _scheduler = scheduler;
        _collector = collector;
        _logger = logger;
    }

    public void Map(RouteGroupBuilder group)
    {
        group.MapGet("/snapshot", (Func<HttpContext, Task>)(context => WriteJsonAsync(context, w => WriteSnapshot(w, _scheduler.GetSnapshot()))));
        group.MapPost("/release/pause", (Func<HttpContext, Task>)(context => ReleaseAsync(context, pause: true)));
        group.MapPost("/release/resume", (Func<HttpContext, Task>)(context => ReleaseAsync(context, pause: false)));
        group.MapPost("/recovery/enter", (Func<HttpContext, Task>)(context => RecoveryAsync(context, enter: true)));
        group.MapPost("/recovery/leave", (Func<HttpContext, Task>)(context => RecoveryAsync(context, enter: false)));
        group.MapGet("/configuration", (Func<HttpContext, Task>)WriteConfigurationAsync);
        group.MapGet("/dead-letters", (Func<HttpContext, Task>)ListDeadLettersAsync);
        group.MapPost("/dead-letters/{id}/replay", (Func<HttpContext, Task>)ReplayDeadLetterAsync);
        group.MapDelete("/dead-letters/{id}", (Func<HttpContext, Task>)PurgeDeadLetterAsync);
        group.MapGet("/dashboard", (Func<HttpContext, Task>)(context =>
        {
            // The page's files are addressed relative to it, so it is served only at the address with the slash.
            if (context.Request.Path.Value?.EndsWith('/') != true)
            {
                context.Response.Redirect(context.Request.PathBase + context.Request.Path + "/" + context.Request.QueryString);
                return Task.CompletedTask;
            }

            return DashboardAssets.WriteAsync(context, "index.html");
        }));
        group.MapGet("/dashboard/data", (Func<HttpContext, Task>)WriteDashboardDataAsync);
        group.MapGet("/dashboard/{file}", (Func<HttpContext, string, Task>)DashboardAssets.WriteAsync);
    }

    /// <summary>Writes the snapshot object: the shape of <c>GET /snapshot</c> and of <c>snapshot</c> in the dashboard data.</summary>
    internal void WriteSnapshot(Utf8JsonWriter writer, SchedulerSnapshot snapshot)
    {
        writer.WriteStartObject();
        writer.WriteString("takenAt", snapshot.TakenAt);
        writer.WriteString("mode", snapshot.Mode.ToString());
        if (_collector.IsPaused is { } paused)
        {
            writer.WriteBoolean("releasePaused", paused);
        }
        else
        {
            writer.WriteNull("releasePaused");
        }

        writer.WriteNumber("capacity", snapshot.Capacity);
        writer.WriteNumber("held", snapshot.TotalCount);
        writer.WriteNumber("deferred", snapshot.DeferredCount);
        writer.WriteNumber("inFlight", snapshot.InFlight);
        if (_collector.InFlightLimit is { } limit)
        {
            writer.WriteNumber("inFlightLimit", limit);
        }
        else
        {
            writer.WriteNull("inFlightLimit");
        }

        writer.WriteBoolean("completed", snapshot.IsCompleted);
        writer.WriteNumber("duplicatesSuppressed", snapshot.DuplicatesSuppressed);
        writer.WriteStartArray("levels");
        foreach (var level in snapshot.Levels)
        {
            writer.WriteStartObject();
            writer.WriteString("level", level.Level.ToString());
            writer.WriteNumber("held", level.Count);
            writer.WriteNumber("oldestWaitSeconds", Math.Round(level.OldestWait.TotalSeconds, 3));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            write(writer);
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /dead-letters?afterId=&amp;limit=</c>: one page of stored dead letters in id order, with their bytes (base64).</summary>
    private async Task ListDeadLettersAsync(HttpContext context)
    {
        if (_services.GetService<DeadLetterManager>() is not { } manager)
        {
            await NoDeadLetterStoreAsync(context).ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        long afterId = 0;
        int limit = 100;
        if ((query.ContainsKey("afterId") && (!long.TryParse(query["afterId"], NumberStyles.None, CultureInfo.InvariantCulture, out afterId) || afterId < 0))
            || (query.ContainsKey("limit") && (!int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000)))
        {
            await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad paging", detail: "afterId must be a whole number >= 0 and limit a whole number from 1 to 1000.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        long count = await manager.CountAsync(context.RequestAborted).ConfigureAwait(false);
        var page = await manager.ListAsync(afterId, limit, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("count", count);
            writer.WriteStartArray("items");
            foreach (var item in page)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", item.Id);
                writer.WriteString("level", item.Level.ToString());
                writer.WriteString("reason", item.Reason);
                writer.WriteNumber("attempts", item.Attempts);
                writer.WriteString("deadLetteredAt", item.DeadLetteredAt);
                writer.WriteString("receivedAt", item.ReceivedAt);
                writer.WriteString("error", item.Error);
                writer.WriteNumber("bytes", item.RawMessage.Length);
                writer.WriteBase64String("message", item.RawMessage.Span);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (page.Count == limit)
            {
                writer.WriteNumber("nextAfterId", page[^1].Id);
            }
            else
            {
                writer.WriteNull("nextAfterId");
            }

            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>POST /dead-letters/{id}/replay</c>: enqueues it again at its stored level, then removes it.</summary>
    private async Task ReplayDeadLetterAsync(HttpContext context)
    {
        if (_services.GetService<DeadLetterManager>() is not { } manager)
        {
            await NoDeadLetterStoreAsync(context).ConfigureAwait(false);
            return;
        }

        if (!TryGetId(context, out long id))
        {
            await BadIdAsync(context).ConfigureAwait(false);
            return;
        }

        var result = await manager.ReplayAsync(id, context.RequestAborted).ConfigureAwait(false);
        int status = result switch
        {
            DeadLetterReplayResult.Replayed => StatusCodes.Status200OK,
            DeadLetterReplayResult.NotFound => StatusCodes.Status404NotFound,
            DeadLetterReplayResult.Invalid => StatusCodes.Status422UnprocessableEntity,
            _ => StatusCodes.Status503ServiceUnavailable,
        };
        await WriteJsonAsync(
            context,
            writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", id);
                writer.WriteString("result", result.ToString());
                writer.WriteEndObject();
            },
            status).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /dead-letters/{id}</c>: removes it for good (204), or 404 when there is none.</summary>
    private async Task PurgeDeadLetterAsync(HttpContext context)
    {
        if (_services.GetService<DeadLetterManager>() is not { } manager)
        {
            await NoDeadLetterStoreAsync(context).ConfigureAwait(false);
            return;
        }

        if (!TryGetId(context, out long id))
        {
            await BadIdAsync(context).ConfigureAwait(false);
            return;
        }

        bool removed = await manager.PurgeAsync(id, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = removed ? StatusCodes.Status204NoContent : StatusCodes.Status404NotFound;
    }

    private static bool TryGetId(HttpContext context, out long id)
        => long.TryParse(context.Request.RouteValues["id"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;

    private static Task BadIdAsync(HttpContext context)
        => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad dead-letter id", detail: "The id must be a whole number greater than 0.").ExecuteAsync(context);

    private static Task NoDeadLetterStoreAsync(HttpContext context)
        => Results.Problem(
            statusCode: StatusCodes.Status501NotImplemented,
            type: DeadLetterStoreMissingType,
            title: "No dead-letter store registered",
            detail: "No DeadLetterManager is registered (it comes with the release loop: AddHandler/UseHandler, which registers an IDeadLetterStore). Register one to list, replay or purge dead letters.").ExecuteAsync(context);

    private Task ReleaseAsync(HttpContext context, bool pause)
    {
        if (_services.GetService<IReleaseControl>() is not { } release)
        {
            return Results.Problem(statusCode: StatusCodes.Status501NotImplemented, title: "Release cannot be paused", detail: "No IReleaseControl is registered.").ExecuteAsync(context);
        }

        if (pause)
        {
            release.Pause();
        }
        else
        {
            release.Resume();
        }

        Log.AdminAction(_logger, pause ? "release paused" : "release resumed", context.User.Identity?.Name);
        return WriteJsonAsync(context, w => WriteSnapshot(w, _scheduler.GetSnapshot()));
    }

    private Task RecoveryAsync(HttpContext context, bool enter)
    {
        if (_services.GetService<IRecoveryControl>() is not { } recovery)
        {
            return Results.Problem(statusCode: StatusCodes.Status501NotImplemented, title: "Recovery cannot be switched", detail: "No IRecoveryControl is registered.").ExecuteAsync(context);
        }

        if (enter)
        {
            recovery.EnterRecovery();
        }
        else
        {
            recovery.ExitRecovery();
        }

        Log.AdminAction(_logger, enter ? "Recovery entered" : "Recovery left", context.User.Identity?.Name);
        return WriteJsonAsync(context, w => WriteSnapshot(w, _scheduler.GetSnapshot()));
    }

    private Task WriteConfigurationAsync(HttpContext context)
    {
        var prioritisation = _services.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
        var intake = _services.GetRequiredService<IOptions<DuisIntakeOptions>>().Value;
        var root = new JsonObject
        {
            [ResponsePrioritisationOptions.SectionName] = Redact(ToNode(prioritisation)),
            [DuisIntakeOptions.SectionName] = new JsonObject
            {
                ["retryAfterFull"] = intake.RetryAfterFull.ToString("c", CultureInfo.InvariantCulture),
                ["retryAfterCompleted"] = intake.RetryAfterCompleted.ToString("c", CultureInfo.InvariantCulture),
                ["retryAfterUnavailable"] = intake.RetryAfterUnavailable.ToString("c", CultureInfo.InvariantCulture),
                ["clientCertificate"] = new JsonObject
                {
                    ["required"] = intake.ClientCertificate.Required,
                    ["allowedThumbprints"] = new JsonArray([.. intake.ClientCertificate.AllowedThumbprints.Select(static t => (JsonNode?)t)]),
                    ["trustedIssuerCertificatePaths"] = new JsonArray([.. intake.ClientCertificate.TrustedIssuerCertificatePaths.Select(static t => (JsonNode?)t)]),
                    ["trustedIssuerCertificates"] = new JsonArray([.. intake.ClientCertificate.TrustedIssuerCertificates.Select(static c => (JsonNode?)$"{c.Subject} (SHA-256 {c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)})")]),
                    ["revocationMode"] = intake.ClientCertificate.RevocationMode.ToString(),
                },
            },
        };
        return WriteJsonAsync(context, w => root.WriteTo(w));
    }

    private static JsonNode? ToNode(ResponsePrioritisationOptions options)
    {
        try
        {
            return JsonSerializer.SerializeToNode(options, s_configurationJson);
        }
        catch (Exception exception) when (exception is NotSupportedException or InvalidOperationException)
        {
            // Reflection-based serialisation is off (trimmed or AOT applications): say so rather than fail.
            return new JsonObject { ["unavailable"] = "The options cannot be serialised in this application: " + exception.Message };
        }
    }

    /// <summary>Replaces the value of every property whose name looks like a secret, at any depth.</summary>
    internal static JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(static p => p.Key).ToArray())
                {
                    string lower = name.ToLowerInvariant();
                    if (s_secretWords.Any(lower.Contains) && obj[name] is not null)
                    {
                        obj[name] = "(redacted)";
                    }
                    else
                    {
                        Redact(obj[name]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Redact(item);
                }

                break;
        }

        return node;
    }

    private Task WriteDashboardDataAsync(HttpContext context)
    {
        long since = long.TryParse(context.Request.Query["since"], NumberStyles.None, CultureInfo.InvariantCulture, out long s) ? s : 0;
        var snapshot = _scheduler.GetSnapshot();
        var history = _collector.GetHistory(since);
        var rejected = _collector.RejectedByReason();
        return WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("snapshot");
            WriteSnapshot(writer, snapshot);
            writer.WriteNumber("releasedTotal", _collector.Released);
            writer.WriteNumber("enqueuedTotal", _collector.Enqueued);
            writer.WriteNumber("deadLetteredTotal", _collector.DeadLettered);
            writer.WriteNumber("rejectedTotal", _collector.Rejected);
            writer.WriteStartObject("rejectedByReason");
            foreach (var (reason, count) in rejected.OrderBy(static r => r.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(reason, count);
            }

            writer.WriteEndObject();

            // The release loop's back-end circuit breaker; null without a hosted release loop.
            if (_collector.BreakerState is { } breaker)
            {
                writer.WriteString("breaker", breaker);
            }
            else
            {
                writer.WriteNull("breaker");
            }
            writer.WriteNumber("waitWindowSeconds", DashboardCollector.WaitWindow.TotalSeconds);
            writer.WriteStartArray("waits");
            foreach (var level in PriorityLevels.All)
            {
                writer.WriteStartObject();
                writer.WriteString("level", level.ToString());
                if (_collector.GetWaitPercentiles(level) is { } waits)
                {
                    writer.WriteNumber("p50Seconds", Math.Round(waits.P50, 4));
                    writer.WriteNumber("p99Seconds", Math.Round(waits.P99, 4));
                    writer.WriteNumber("samples", waits.Count);
                }
                else
                {
                    writer.WriteNull("p50Seconds");
                    writer.WriteNull("p99Seconds");
                    writer.WriteNumber("samples", 0);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("history");
            foreach (var point in history)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(point.Sequence);
                writer.WriteNumberValue(point.At.ToUnixTimeMilliseconds());
                foreach (long held in point.Held)
                {
                    writer.WriteNumberValue(held);
                }

                writer.WriteNumberValue(point.Deferred);
                writer.WriteNumberValue(point.ReleasedTotal);
                writer.WriteNumberValue(point.RejectedTotal);
                writer.WriteNumberValue(point.InFlight);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
