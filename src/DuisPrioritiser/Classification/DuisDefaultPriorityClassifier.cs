using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Classification;

/// <summary>
/// The built-in DUIS priorities, from <see cref="DuisCatalogue"/>. <c>AddResponsePrioritisation</c> puts it in the
/// chain after the explicit overrides and the integrator's classifiers.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>A response (<see cref="DuisMessageKind.Response"/>, or <see cref="DuisMessageKind.Smets1Response"/> with an
/// SRV): a DCC-scheduled execution (<see cref="DuisMessage.IsDccScheduled"/>) is <see cref="PriorityLevel.Low"/>;
/// otherwise the SRV's catalogue default, which error responses and future-dated outcomes share; an SRV not in the
/// catalogue is <see cref="PriorityLevel.Normal"/>.</item>
/// <item>A Device Alert, or a SMETS1 response without an SRV that carries a device alert code: the code's default,
/// else <see cref="DuisCatalogue.DefaultDeviceAlertLevel"/> (<see cref="PriorityLevel.Bulk"/>).</item>
/// <item>A DCC Alert: its code's default if listed, else its payload's if listed, else
/// <see cref="DuisCatalogue.DefaultDccAlertLevel"/> (<see cref="PriorityLevel.Bulk"/>).</item>
/// <item>A SMETS1 response with neither SRV nor alert code: <see cref="PriorityLevel.Normal"/>.</item>
/// </list>
/// It does not decide for a <see cref="DuisMessageKind.Response"/> envelope built without an SRV (the reader never
/// produces one), so the next classifier or the default level decides. Allocation-free and thread-safe.
/// </remarks>
public sealed class DuisDefaultPriorityClassifier : IPriorityClassifier
{
    /// <summary>Gets the shared instance.</summary>
    public static DuisDefaultPriorityClassifier Instance { get; } = new();

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public bool TryClassify(DuisMessage message, out PriorityLevel level)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.Kind)
        {
            case DuisMessageKind.Response:
                if (message.ServiceReferenceVariant.IsNone)
                {
                    level = default;
                    return false;
                }

                level = ClassifyResponse(message);
                return true;

            case DuisMessageKind.Smets1Response:
                if (!message.ServiceReferenceVariant.IsNone)
                {
                    level = ClassifyResponse(message);
                }
                else if (!message.AlertCode.IsNone)
                {
                    level = ClassifyDeviceAlert(message.AlertCode);
                }
                else
                {
                    level = PriorityLevel.Normal;
                }

                return true;

            case DuisMessageKind.DeviceAlert:
                level = ClassifyDeviceAlert(message.AlertCode);
                return true;

            case DuisMessageKind.DccAlert:
                if (!(DuisCatalogue.TryGetDccAlertLevel(message.AlertCode, out level)
                    || DuisCatalogue.TryGetDccAlertPayloadLevel(message.DccAlertPayloadName, out level)))
                {
                    level = DuisCatalogue.DefaultDccAlertLevel;
                }

                return true;

            default:
                level = default;
                return false;
        }
    }

    private static PriorityLevel ClassifyResponse(DuisMessage message)
    {
        if (message.IsDccScheduled)
        {
            return PriorityLevel.Low;
        }

        return DuisCatalogue.TryGet(message.ServiceReferenceVariant, out var entry) ? entry.DefaultLevel : PriorityLevel.Normal;
    }

    private static PriorityLevel ClassifyDeviceAlert(DuisCode code)
        => DuisCatalogue.TryGetDeviceAlertLevel(code, out var level) ? level : DuisCatalogue.DefaultDeviceAlertLevel;
}
