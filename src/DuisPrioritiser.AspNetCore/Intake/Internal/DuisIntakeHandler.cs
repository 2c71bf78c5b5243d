using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DuisPrioritiser.AspNetCore.Intake.Internal;

/// <summary>
/// The receive endpoint: checks the client certificate and the content type, streams the body under the reader's
/// size limit, hands it to the scheduler and answers as the DCC expects — 2xx only once the message is the
/// adapter's (and, with a durable store, durable); any other answer leaves the message the DCC's to resend.
/// </summary>
/// <remarks>Thread-safe: one instance serves every request; it holds only configuration read at construction.</remarks>
internal sealed class DuisIntakeHandler
{
    private readonly IResponseReleaseScheduler _scheduler;
    private readonly int _maxBytes;
    private readonly DuisIntakeOptions _options;
    private readonly ClientCertificateValidator _certificates;
    private readonly ILogger _logger;

    public DuisIntakeHandler(
        IResponseReleaseScheduler scheduler,
        IOptions<ResponsePrioritisationOptions> prioritisation,
        IOptions<DuisIntakeOptions> options,
        TimeProvider timeProvider,
        ILogger<DuisIntakeHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(prioritisation);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _scheduler = scheduler;
        _maxBytes = prioritisation.Value.Reader.MaxMessageBytes;
        _options = options.Value;
        _certificates = new ClientCertificateValidator(_options.ClientCertificate, timeProvider);
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (_certificates.Required)
        {
            var certificate = context.Connection.ClientCertificate
                ?? await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
            if (_certificates.Validate(certificate) is { } refusal)
            {
                Log.ClientCertificateRefused(_logger, context.Connection.RemoteIpAddress?.ToString(), refusal);
                await WriteProblemAsync(context, StatusCodes.Status403Forbidden, "Client certificate refused", "This endpoint accepts DUIS traffic only from a client presenting a trusted certificate: " + refusal + ".").ConfigureAwait(false);
                return;
            }
        }

        if (!IsXml(request.ContentType))
        {
            Log.UnsupportedContentType(_logger, request.ContentType);
            await WriteProblemAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Send the DUIS message as XML with Content-Type application/xml or text/xml.").ConfigureAwait(false);
            return;
        }

        byte[]? body = await ReadBodyAsync(context, _maxBytes).ConfigureAwait(false);
        if (body is null)
        {
            Log.TooLarge(_logger, request.ContentLength, _maxBytes);
            await WriteProblemAsync(
                context,
                StatusCodes.Status413PayloadTooLarge,
                "DUIS message too large",
                string.Create(CultureInfo.InvariantCulture, $"This endpoint accepts DUIS messages of at most {_maxBytes} bytes (DuisPrioritiser:Reader:MaxMessageBytes).")).ConfigureAwait(false);
            return;
        }

        IntakeResult result;
        try
        {
            // The scheduler keeps these bytes in the envelope: the array is the message's own from here on.
            result = await _scheduler.EnqueueAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is JournalWriteException or BacklogStoreUnavailableException)
        {
            Log.StoreUnavailable(_logger, exception);
            await WriteUnavailableAsync(context, _options.RetryAfterUnavailable, "Store unavailable", "The message could not be made durable, so it was not accepted; resend after Retry-After.").ConfigureAwait(false);
            return;
        }

        await WriteResultAsync(context, result).ConfigureAwait(false);
    }

    /// <summary>Maps an intake outcome to the HTTP answer the DCC gets.</summary>
    internal async Task WriteResultAsync(HttpContext context, IntakeResult result)
    {
        var response = context.Response;
        switch (result.Status)
        {
            case IntakeStatus.Accepted:
                response.Headers[DuisIntakeHeaders.Priority] = result.Level.ToString();
                response.StatusCode = StatusCodes.Status204NoContent;
                return;

            case IntakeStatus.AcceptedDuplicate:
                // A redelivery of a message already accepted: acknowledge it, so the DCC stops resending.
                response.Headers[DuisIntakeHeaders.Priority] = result.Level.ToString();
                response.Headers[DuisIntakeHeaders.Duplicate] = "true";
                response.StatusCode = StatusCodes.Status204NoContent;
                return;

            case IntakeStatus.RejectedInvalid:
                Log.Invalid(_logger, result.Error.Code, result.Error.Message);
                await WriteProblemAsync(
                    context,
                    StatusCodes.Status400BadRequest,
                    "Not a readable DUIS message",
                    result.Error.Message,
                    new Dictionary<string, object?>
                    {
                        ["code"] = result.Error.Code.ToString(),
                        ["line"] = result.Error.Line,
                        ["column"] = result.Error.Column,
                        ["offset"] = result.Error.Offset,
                    }).ConfigureAwait(false);
                return;

            case IntakeStatus.RejectedFull:
                // A refusal for capacity comes after reading and classifying, so the level is known.
                Log.Full(_logger, result.Level.GetValueOrDefault());
                if (result.Level is { } fullLevel)
                {
                    response.Headers[DuisIntakeHeaders.Priority] = fullLevel.ToString();
                }

                await WriteUnavailableAsync(context, _options.RetryAfterFull, "At capacity", "The adapter holds as many messages as it is configured to; resend after Retry-After.").ConfigureAwait(false);
                return;

            case IntakeStatus.Unavailable:
                // The backlog store (PostgreSQL) cannot be reached: nothing was stored, so the DCC keeps the message.
                Log.BacklogUnavailable(_logger, result.Level.GetValueOrDefault());
                if (result.Level is { } unavailableLevel)
                {
                    response.Headers[DuisIntakeHeaders.Priority] = unavailableLevel.ToString();
                }

                await WriteUnavailableAsync(context, _options.RetryAfterUnavailable, "Store unavailable", "The backlog store cannot be reached, so the message was not stored; resend after Retry-After.").ConfigureAwait(false);
                return;

            case IntakeStatus.RejectedCompleted:
                Log.Completed(_logger);
                await WriteUnavailableAsync(context, _options.RetryAfterCompleted, "Shutting down", "The adapter is stopping and accepts no more messages; resend after Retry-After.").ConfigureAwait(false);
                return;

            default:
                // An outcome this endpoint does not know (a newer store, for example one that is unreachable): not
                // acknowledged, so the message stays the DCC's to resend. Nothing is lost.
                Log.NotAccepted(_logger, result.Status);
                await WriteUnavailableAsync(context, _options.RetryAfterUnavailable, "Not accepted", string.Create(CultureInfo.InvariantCulture, $"Intake outcome {result.Status}; the message was not accepted; resend after Retry-After.")).ConfigureAwait(false);
                return;
        }
    }

    private static Task WriteUnavailableAsync(HttpContext context, TimeSpan retryAfter, string title, string detail)
    {
        context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, title, detail);
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail, IDictionary<string, object?>? extensions = null)
        => Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions).ExecuteAsync(context);

    private static bool IsXml(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return false;
        }

        var type = mediaType.MediaType;
        return type.Equals("application/xml", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/xml", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Streams the body into an array of its exact size, or returns <see langword="null"/> as soon as it is larger
    /// than <paramref name="maxBytes"/> — without buffering more than that: a declared length over the limit is
    /// refused before any byte is read, and Kestrel stops a chunked body at the limit.
    /// </summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        PipeReader reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                var buffer = read.Buffer;
                if (buffer.Length > maxBytes)
                {
                    reader.AdvanceTo(buffer.End);
                    return null;
                }

                if (read.IsCompleted)
                {
                    // The pipe's pooled segments are copied once, into an array the message owns.
                    byte[] body = buffer.ToArray();
                    reader.AdvanceTo(buffer.End);
                    return body;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }
}
