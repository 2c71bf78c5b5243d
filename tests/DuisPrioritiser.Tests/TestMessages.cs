using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests;

/// <summary>Envelopes built from known fields, for tests that do not need XML.</summary>
internal static class TestMessages
{
    public static DuisMessage Response(string srv, string responseCode = "I0", string? requestId = null)
        => new(DuisMessageKind.Response)
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Parse(srv),
            ResponseCode = DuisCode.Parse(responseCode),
            RequestId = requestId,
        };

    public static DuisMessage DeviceAlert(string code)
        => new(DuisMessageKind.DeviceAlert) { AlertCode = DuisCode.Parse(code), ResponseCode = DuisCode.Parse("I0") };

    public static DuisMessage DccAlert(string code, string? payload = null)
        => new(DuisMessageKind.DccAlert) { AlertCode = DuisCode.Parse(code), DccAlertPayloadName = payload };

    /// <summary>A message that carries an integer tag in its request id, for ordering checks.</summary>
    public static DuisMessage Tagged(long tag)
        => new(DuisMessageKind.Response) { ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1), RequestId = tag.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
