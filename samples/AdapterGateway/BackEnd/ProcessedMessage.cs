using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace AdapterGateway.BackEnd;

/// <summary>One message the simulated back-end processed, as shown by <c>GET /processed</c>.</summary>
/// <param name="Received">
/// The order the back-end received it in, from 1: the release order, since the release loop calls the handler in
/// release order. With more than one message in flight they may finish in another order.
/// </param>
/// <param name="Level">The level it was released from.</param>
/// <param name="Kind">The kind of DUIS message.</param>
/// <param name="ServiceReferenceVariant">The SRV of a response; <see langword="null"/> for an alert.</param>
/// <param name="AlertCode">The alert code of an alert; <see langword="null"/> for a response.</param>
/// <param name="RequestId">The DUIS request id, when the message has one.</param>
/// <param name="ResponseId">The DUIS response id, when the message has one.</param>
/// <param name="WaitSeconds">How long it waited in the scheduler, from acceptance to release.</param>
/// <param name="ProcessedAt">When the back-end finished it.</param>
internal sealed record ProcessedMessage(
    long Received,
    PriorityLevel Level,
    DuisMessageKind Kind,
    string? ServiceReferenceVariant,
    string? AlertCode,
    string? RequestId,
    string? ResponseId,
    double WaitSeconds,
    DateTimeOffset ProcessedAt);
