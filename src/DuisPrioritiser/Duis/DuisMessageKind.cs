namespace DuisPrioritiser.Duis;

/// <summary>The kind of DUIS message carried in the <c>Body</c> of a DUIS <c>Response</c>.</summary>
public enum DuisMessageKind
{
    /// <summary>A Service Response (<c>ResponseMessage</c>) to a Service Request, identified by its SRV.</summary>
    Response = 0,

    /// <summary>An alert raised by a device (<c>DeviceAlertMessage</c>), identified by a hexadecimal alert code.</summary>
    DeviceAlert = 1,

    /// <summary>An alert raised by the DCC (<c>DCCAlertMessage</c>), identified by a DCC alert code such as <c>AD1</c> or <c>N24</c>.</summary>
    DccAlert = 2,

    /// <summary>A response or alert for a SMETS1 device (<c>SMETS1ResponseMessage</c>).</summary>
    Smets1Response = 3,
}
