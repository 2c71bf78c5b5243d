using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using DuisPrioritiser;
using DuisPrioritiser.Release;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AdapterGateway.Intake;

/// <summary>
/// <c>POST /duis</c>: the DCC User's receive endpoint. Reads the body (up to the reader's
/// <c>MaxMessageBytes</c>), hands it to the scheduler and answers as the DCC expects: 2xx only once the message is
/// the gateway's (and, with a journal, durable); otherwise the message stays the DCC's to resend.
/// </summary>
internal static class DuisIntakeEndpoint
{
    /// <summary>The response header that tells the sender the level a message was accepted at.</summary>
    public const string PriorityHeader = "Duis-Priority";

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        IResponseReleaseScheduler scheduler,
        IOptions<ResponsePrioritisationOptions> prioritisation,
        IOptions<AdapterGatewayOptions> gateway,
        ILogger<DuisIntake> logger)
    {
        var request = context.Request;
        if (!IsXml(request.ContentType))
        {
            Log.UnsupportedContentType(logger, request.ContentType);
            return Results.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type",
                detail: "Send the DUIS message as XML with Content-Type application/xml or text/xml.");
        }

        int maxBytes = prioritisation.Value.Reader.MaxMessageBytes;
        byte[]? body = await ReadBodyAsync(context, maxBytes).ConfigureAwait(false);
        if (body is null)
        {
            Log.TooLarge(logger, request.ContentLength, maxBytes);
            return Results.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "DUIS message too large",
                detail: string.Create(CultureInfo.InvariantCulture, $"The gateway accepts DUIS messages of at most {maxBytes} bytes (DuisPrioritiser:Reader:MaxMessageBytes)."));
        }

        // The scheduler keeps these bytes in the envelope: the array is the message's own from here on.
        var result = await scheduler.EnqueueAsync(body, context.RequestAborted).ConfigureAwait(false);
        return ToHttpResult(result, context.Response, gateway.Value, logger);
    }

    /// <summary>Maps an intake outcome to the HTTP answer the DCC gets.</summary>
    /// <summary>The header set on a 204 for a suppressed redelivery.</summary>
    internal const string DuplicateHeader = "Duis-Duplicate";

    internal static IResult ToHttpResult(IntakeResult result, HttpResponse response, AdapterGatewayOptions options, ILogger logger)
    {
        switch (result.Status)
        {
            case IntakeStatus.Accepted:
                response.Headers[PriorityHeader] = result.Level.ToString();
                return Results.NoContent();

            case IntakeStatus.AcceptedDuplicate:
                // A redelivery of a message already accepted: acknowledge it, so the DCC stops resending.
                response.Headers[PriorityHeader] = result.Level.ToString();
                response.Headers[DuplicateHeader] = "true";
                return Results.NoContent();

            case IntakeStatus.RejectedInvalid:
                Log.Invalid(logger, result.Error.Code, result.Error.Message);
                return Results.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "Not a readable DUIS message",
                    detail: result.Error.Message,
                    extensions: new Dictionary<string, object?>
                    {
                        ["code"] = result.Error.Code.ToString(),
                        ["line"] = result.Error.Line,
                        ["column"] = result.Error.Column,
                        ["offset"] = result.Error.Offset,
                    });

            case IntakeStatus.RejectedFull:
                Log.Full(logger, result.Level.GetValueOrDefault());
                return Unavailable(response, options.RetryAfterFull, "At capacity", "The gateway holds as many messages as it is configured to; resend after Retry-After.");

            case IntakeStatus.RejectedCompleted:
                Log.ShuttingDown(logger);
                return Unavailable(response, options.RetryAfterShuttingDown, "Shutting down", "The gateway is stopping and accepts no more messages; resend after Retry-After.");

            default:
                // An outcome this gateway does not know (a newer DuisPrioritiser): not acknowledged, so the message
                // stays the DCC's to resend. Nothing is lost; update the mapping.
                Log.UnknownStatus(logger, result.Status);
                return Unavailable(response, options.RetryAfterFull, "Not accepted", string.Create(CultureInfo.InvariantCulture, $"Intake outcome {result.Status}; resend after Retry-After."));
        }
    }

    private static IResult Unavailable(HttpResponse response, TimeSpan retryAfter, string title, string detail)
    {
        response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    private static bool IsXml(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return false;
        }

        var type = mediaType.MediaType;
        return type.Equals("application/xml", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/xml", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads the whole body into an array of its exact size, or returns <see langword="null"/> when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return null;
        }

        // Let Kestrel stop a chunked body at the limit too, instead of its 30 MB default.
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
