using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Deduplication.Internal;

/// <summary>
/// What makes two deliveries the same message: the ResponseID (or else the RequestID, in its own namespace),
/// the ResponseCode, the kind and the alert code, plus the SRV and the DCC alert payload name, so that two messages
/// that differ in what they are about are never taken for one another even if an id were reused. A message with
/// neither id has no key and is never suppressed.
/// </summary>
internal readonly record struct DeduplicationKey(
    string Id, bool IsResponseId, DuisCode ResponseCode, DuisMessageKind Kind, DuisCode AlertCode, ServiceReferenceVariant Srv = default, string? PayloadName = null)
{
    public static bool TryCreate(DuisMessage message, out DeduplicationKey key)
    {
        var responseId = message.ResponseId;
        if (!string.IsNullOrEmpty(responseId))
        {
            key = new DeduplicationKey(responseId, true, message.ResponseCode, message.Kind, message.AlertCode, message.ServiceReferenceVariant, message.DccAlertPayloadName);
            return true;
        }

        var requestId = message.RequestId;
        if (!string.IsNullOrEmpty(requestId))
        {
            key = new DeduplicationKey(requestId, false, message.ResponseCode, message.Kind, message.AlertCode, message.ServiceReferenceVariant, message.DccAlertPayloadName);
            return true;
        }

        key = default;
        return false;
    }

    public override string ToString() => $"{Kind} {(IsResponseId ? "ResponseID" : "RequestID")} {Id} {ResponseCode} {AlertCode} {Srv} {PayloadName}".TrimEnd();
}
