namespace DuisPrioritiser.Duis;

/// <summary>
/// The payload elements a DUIS 5.4 <c>DCCAlert</c> may hold, as shared strings, so the reader can name the payload
/// without allocating.
/// </summary>
internal static class DccAlertPayloadNames
{
    private static readonly string[] s_names =
    [
        "PowerOutageEvent", "DeviceStatusChangeEvent", "DSPScheduleRemoval", "CommandFailure",
        "FirmwareDistributionFailure", "UpdateHANDeviceLogResult", "ChangeOfSupplier", "DeviceLogRestored",
        "PPMIDAlert", "SecurityCredentialsUpdated", "PPMIDRemoval", "QuarantinedRequest",
        "FirmwareVersionMismatch", "DualBandCHAlert", "S1SPAlertDSP", "SMETS1CHFirmwareNotification",
        "ALCSHCALCSConfigurationChange", "FirmwareUpgradeRequested", "CSPFirmwareDeliveryStatus", "CommsHubAlert",
        "ECoSAlert", "CommsHubFirmwareActivation", "CoSCertificateAlert", "DUISVersionMismatch",
    ];

    /// <summary>Gets every known payload name.</summary>
    public static IReadOnlyList<string> All => s_names;

    /// <summary>Finds the shared string for an ASCII payload name, or <see langword="null"/> when it is not a known one.</summary>
    public static string? Find(ReadOnlySpan<byte> name)
    {
        foreach (string candidate in s_names)
        {
            if (candidate.Length == name.Length && System.Text.Ascii.Equals(name, candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
