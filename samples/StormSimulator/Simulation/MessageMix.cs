using System.Globalization;
using DuisPrioritiser.Duis;

namespace StormSimulator.Simulation;

/// <summary>
/// The traffic mix: weights per category of DUIS message, and within alerts, weights per kind of alert.
/// Each category builds envelopes from fields (SRV, alert code, DCC-scheduled flag) that the scheduler's classifier
/// then classifies; the simulator never assigns a level itself.
/// </summary>
internal sealed class MessageMix
{
    private static readonly DuisCode s_success = DuisCode.Parse("I0");
    private static readonly string[] s_bulkDeviceAlertCodes = ["8F01", "8F0A", "8F12", "8F1C", "8F20", "8F3E", "8F84", "8F8B"];
    private static readonly string[] s_bulkDccAlertCodes = ["N27", "N42"];
    private static readonly string[] s_prepaymentAlertCodes = ["8F0F", "810D", "81AA", "8F51"];
    private static readonly string[] s_supplyAlertCodes = ["8F32", "81BD", "8F1D"];
    private static readonly string[] s_outageDeviceAlertCodes = ["8F35", "8F36"];
    private static readonly string[] s_scheduledReadSrvs = ["4.6.1", "4.8.1", "4.17", "4.10"];
    private static readonly string[] s_onDemandSrvs = ["4.1.1", "4.8.1", "6.2.1", "6.13"];
    private static readonly string[] s_prepaymentSrvs = ["2.2", "1.5", "4.18", "4.3"];
    private static readonly string[] s_installSrvs = ["8.1.1", "8.7.1", "8.11", "6.20.1"];
    private static readonly string[] s_supplySrvs = ["7.1", "7.2", "1.1.1", "6.23"];

    /// <summary>The category names accepted by <c>--mix</c>.</summary>
    public static readonly string[] CategoryNames = ["alerts", "scheduled", "ondemand", "prepayment", "install", "supply"];

    /// <summary>The alert kinds accepted by <c>--alert-mix</c>.</summary>
    public static readonly string[] AlertKindNames = ["bulk", "prepayment", "supply", "outage"];

    private MessageMix(IReadOnlyDictionary<string, double> categories, IReadOnlyDictionary<string, double> alertKinds)
    {
        Categories = categories;
        AlertKinds = alertKinds;
        var kinds = new List<MixKind>();
        double categoryTotal = categories.Values.Sum();
        double alertTotal = alertKinds.Values.Sum();
        foreach (var (category, weight) in categories)
        {
            if (weight <= 0)
            {
                continue;
            }

            double share = weight / categoryTotal;
            if (category == "alerts")
            {
                foreach (var (alertKind, alertWeight) in alertKinds)
                {
                    if (alertWeight > 0)
                    {
                        kinds.Add(new MixKind("alert-" + alertKind, share * alertWeight / alertTotal, CreateFactory("alert-" + alertKind)));
                    }
                }
            }
            else
            {
                kinds.Add(new MixKind(category, share, CreateFactory(category)));
            }
        }

        Kinds = kinds;
    }

    /// <summary>Gets the default mix, after DCC volumes: 60% alerts (55 of the 60 Bulk codes; 2 prepayment, 1 supply, 2 outage), 20% DCC-scheduled reads, 10% on-demand reads and configuration, 5% prepayment, 3% install and commission, 2% supply, tariff and change of supplier.</summary>
    public static MessageMix Default { get; } = new(
        new Dictionary<string, double>(StringComparer.Ordinal) { ["alerts"] = 60, ["scheduled"] = 20, ["ondemand"] = 10, ["prepayment"] = 5, ["install"] = 3, ["supply"] = 2 },
        new Dictionary<string, double>(StringComparer.Ordinal) { ["bulk"] = 55, ["prepayment"] = 2, ["supply"] = 1, ["outage"] = 2 });

    /// <summary>Gets the category weights.</summary>
    public IReadOnlyDictionary<string, double> Categories { get; }

    /// <summary>Gets the alert kind weights (within <c>alerts</c>).</summary>
    public IReadOnlyDictionary<string, double> AlertKinds { get; }

    /// <summary>Gets the flattened kinds with their probabilities (summing to 1).</summary>
    public IReadOnlyList<MixKind> Kinds { get; }

    /// <summary>Returns a mix with some category and alert weights replaced.</summary>
    /// <param name="categories">Text such as <c>alerts=60,scheduled=20</c>, or <see langword="null"/>.</param>
    /// <param name="alertKinds">Text such as <c>bulk=55,outage=2</c>, or <see langword="null"/>.</param>
    /// <returns>The new mix.</returns>
    /// <exception cref="ArgumentException">The text is malformed, names an unknown category, or leaves every weight at zero.</exception>
    public MessageMix With(string? categories, string? alertKinds)
    {
        var newCategories = Parse(categories, Categories, CategoryNames, "--mix");
        var newAlertKinds = Parse(alertKinds, AlertKinds, AlertKindNames, "--alert-mix");
        if (newCategories.Values.Sum() <= 0)
        {
            throw new ArgumentException("--mix: at least one category needs a positive weight.");
        }

        if (newCategories["alerts"] > 0 && newAlertKinds.Values.Sum() <= 0)
        {
            throw new ArgumentException("--alert-mix: at least one alert kind needs a positive weight while alerts are in the mix.");
        }

        return new MessageMix(newCategories, newAlertKinds);
    }

    /// <inheritdoc />
    public override string ToString()
        => string.Join(", ", Kinds.Select(kind => string.Create(CultureInfo.InvariantCulture, $"{kind.Name} {(kind.Probability) * 100:0.0}%")));

    private static Dictionary<string, double> Parse(string? text, IReadOnlyDictionary<string, double> current, string[] names, string option)
    {
        var result = new Dictionary<string, double>(current, StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }

        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !names.Contains(pair[0], StringComparer.Ordinal)
                || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double weight) || weight < 0 || double.IsInfinity(weight))
            {
                throw new ArgumentException($"{option}: '{part}' is not name=weight with a name among {string.Join(", ", names)} and a weight of 0 or more.");
            }

            result[pair[0]] = weight;
        }

        return result;
    }

    private static Func<Random, DateTimeOffset, DuisMessage> CreateFactory(string kind) => kind switch
    {
        "alert-bulk" => static (random, at) => random.Next(10) < 9
            ? DeviceAlert(Pick(random, s_bulkDeviceAlertCodes), at)
            : DccAlert(Pick(random, s_bulkDccAlertCodes), null, at),
        "alert-prepayment" => static (random, at) => DeviceAlert(Pick(random, s_prepaymentAlertCodes), at),
        "alert-supply" => static (random, at) => DeviceAlert(Pick(random, s_supplyAlertCodes), at),
        "alert-outage" => static (random, at) => random.Next(3) < 2
            ? DeviceAlert(Pick(random, s_outageDeviceAlertCodes), at)
            : DccAlert("AD1", "PowerOutageEvent", at),
        "scheduled" => static (random, at) => Response(Pick(random, s_scheduledReadSrvs), at, dccScheduled: true),
        "ondemand" => static (random, at) => Response(Pick(random, s_onDemandSrvs), at),
        "prepayment" => static (random, at) => Response(Pick(random, s_prepaymentSrvs), at),
        "install" => static (random, at) => Response(Pick(random, s_installSrvs), at),
        "supply" => static (random, at) => Response(Pick(random, s_supplySrvs), at),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown message kind."),
    };

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static DuisMessage Response(string srv, DateTimeOffset at, bool dccScheduled = false) => new(DuisMessageKind.Response)
    {
        ServiceReferenceVariant = ServiceReferenceVariant.Parse(srv),
        ResponseCode = s_success,
        IsDccScheduled = dccScheduled,
        ReceivedAt = at,
    };

    private static DuisMessage DeviceAlert(string code, DateTimeOffset at) => new(DuisMessageKind.DeviceAlert)
    {
        AlertCode = DuisCode.Parse(code),
        ResponseCode = s_success,
        ReceivedAt = at,
    };

    private static DuisMessage DccAlert(string code, string? payload, DateTimeOffset at) => new(DuisMessageKind.DccAlert)
    {
        AlertCode = DuisCode.Parse(code),
        DccAlertPayloadName = payload,
        ReceivedAt = at,
    };

}

/// <summary>One kind of message in the mix.</summary>
/// <param name="Name">The kind, such as <c>alert-bulk</c> or <c>prepayment</c>.</param>
/// <param name="Probability">Its probability per message.</param>
/// <param name="Create">Builds an envelope received at the given time.</param>
internal sealed record MixKind(string Name, double Probability, Func<Random, DateTimeOffset, DuisMessage> Create);
