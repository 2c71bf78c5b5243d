using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DuisPrioritiser.Health;

/// <summary>
/// Writes a <see cref="HealthReport"/> as JSON, with each entry's data (held per level, mode, Critical's oldest wait,
/// in-flight count...), so an operator or a dashboard sees more than the word <c>Healthy</c>.
/// </summary>
/// <remarks>
/// <para>No ASP.NET Core dependency: it writes to a <see cref="Stream"/>. With <c>MapHealthChecks</c>:</para>
/// <code>
/// app.MapHealthChecks("/health", new HealthCheckOptions
/// {
///     ResponseWriter = (context, report) =>
///     {
///         context.Response.ContentType = HealthReportJsonWriter.ContentType;
///         return HealthReportJsonWriter.WriteAsync(context.Response.Body, report, context.RequestAborted);
///     },
/// });
/// </code>
/// <para>The output: <c>{"status":"Degraded","totalDurationSeconds":0.0012,"entries":{"duis_prioritiser":{"status":
/// "Degraded","description":"...","durationSeconds":0.0004,"tags":["ready"],"data":{"mode":"Recovery","held":12000,
/// ...}}}}</c>. Data values are written as JSON numbers, strings and booleans; other values as their text. An entry's
/// exception is written as its type and message only (no stack trace). Written with <see cref="Utf8JsonWriter"/>, so
/// it is trimming- and AOT-safe.</para>
/// </remarks>
public static class HealthReportJsonWriter
{
    /// <summary>The content type of the output.</summary>
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Writes <paramref name="report"/> to <paramref name="stream"/> as JSON.</summary>
    /// <param name="stream">The stream, for example the response body.</param>
    /// <param name="report">The report.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the JSON is written and flushed.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static async Task WriteAsync(Stream stream, HealthReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteNumber("totalDurationSeconds", report.TotalDuration.TotalSeconds);
            json.WriteStartObject("entries");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                if (entry.Description is not null)
                {
                    json.WriteString("description", entry.Description);
                }

                json.WriteNumber("durationSeconds", entry.Duration.TotalSeconds);
                if (entry.Exception is { } exception)
                {
                    json.WriteString("error", $"{exception.GetType().FullName}: {exception.Message}");
                }

                json.WriteStartArray("tags");
                foreach (var tag in entry.Tags)
                {
                    json.WriteStringValue(tag);
                }

                json.WriteEndArray();
                json.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    WriteValue(json, key, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
            await json.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool flag:
                json.WriteBoolean(key, flag);
                break;
            case int number:
                json.WriteNumber(key, number);
                break;
            case long number:
                json.WriteNumber(key, number);
                break;
            case double number when double.IsFinite(number):
                json.WriteNumber(key, number);
                break;
            case TimeSpan span:
                json.WriteNumber(key, span.TotalSeconds);
                break;
            case IFormattable formattable:
                json.WriteString(key, formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(key, value.ToString());
                break;
        }
    }
}
