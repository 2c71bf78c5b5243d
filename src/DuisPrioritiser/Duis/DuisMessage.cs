using System.Text;

namespace DuisPrioritiser.Duis;

/// <summary>
/// The envelope that flows through DuisPrioritiser: the raw DUIS message bytes, unchanged, plus the fields that
/// classification needs.
/// </summary>
/// <remarks>
/// <para>The raw bytes are never copied or altered, so an adapter can forward them or verify their XML signature
/// after release. Create an envelope from known fields with the constructor and the <c>init</c> properties.</para>
/// <para>Instances are immutable once published and safe to read from any thread.</para>
/// </remarks>
public sealed partial class DuisMessage
{
    private TraceContextBox? _intakeTraceContext;

    private readonly string? _requestId;
    private readonly string? _responseId;
    private DateTimeOffset _receivedAt;

    // Where the reader found the ids in RawMessage: materialised to strings only when asked for.
    private int _requestIdStart = -1;
    private int _requestIdLength;
    private int _responseIdStart = -1;
    private int _responseIdLength;
    private string? _requestIdCache;
    private string? _responseIdCache;

    // The device, read from the ids on first use: 0 not read yet, 1 none, 2 _device holds it. A race reads the same
    // bytes twice and writes the same value, so no lock is needed; the state is written after the value.
    private ulong _device;
    private int _deviceState;

    /// <summary>Initialises a new envelope.</summary>
    /// <param name="kind">The kind of message.</param>
    /// <param name="rawMessage">The raw message bytes, kept unchanged; may be empty when the message was not received as bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="DuisMessageKind"/>.</exception>
    public DuisMessage(DuisMessageKind kind, ReadOnlyMemory<byte> rawMessage = default)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown DUIS message kind.");
        }

        Kind = kind;
        RawMessage = rawMessage;
    }

    /// <summary>Gets the kind of message.</summary>
    public DuisMessageKind Kind { get; }

    /// <summary>Gets the raw message bytes exactly as received.</summary>
    public ReadOnlyMemory<byte> RawMessage { get; }

    /// <summary>Gets the Service Reference Variant, or <see cref="ServiceReferenceVariant.None"/> when the message has none (alerts).</summary>
    public ServiceReferenceVariant ServiceReferenceVariant { get; init; }

    /// <summary>Gets the header <c>ResponseCode</c> (<c>I0</c> success, <c>I99</c> acknowledgement, <c>E…</c> errors, <c>W…</c> warnings).</summary>
    public DuisCode ResponseCode { get; init; }

    /// <summary>
    /// Gets the alert code: the hexadecimal <c>AlertCode</c> of a Device Alert (upper case, such as <c>8F0F</c>),
    /// the <c>DCCAlertCode</c> of a DCC Alert (<c>AD1</c>, <c>N24</c>), or the nested device alert code of a SMETS1
    /// alert; <see cref="DuisCode.None"/> otherwise.
    /// </summary>
    public DuisCode AlertCode { get; init; }

    /// <summary>Gets the local name of the payload element inside a DCC Alert's <c>DCCAlert</c> (such as <c>PowerOutageEvent</c>), or <see langword="null"/>.</summary>
    public string? DccAlertPayloadName { get; init; }

    /// <summary>Gets a value indicating whether the response is a DCC-scheduled execution (<c>DSPScheduledMessage</c>, or <c>DSPScheduleID</c> in a SMETS1 response).</summary>
    public bool IsDccScheduled { get; init; }

    /// <summary>Gets the outcome code of a future-dated command (<c>8F66</c> or <c>8F67</c> in a <c>FutureDatedDeviceAlertMessage</c>), or <see cref="DuisCode.None"/>.</summary>
    public DuisCode FutureDatedOutcome { get; init; }

    /// <summary>Gets the <c>ThrottledAlertCount</c> of a throttled alert, or <see langword="null"/> when absent.</summary>
    public int? ThrottledAlertCount { get; init; }

    /// <summary>Gets the header <c>ResponseDateTime</c>, or <see langword="null"/> when unknown.</summary>
    public DateTimeOffset? ResponseDateTime { get; init; }

    /// <summary>Gets the header <c>RequestID</c>, or <see langword="null"/> when absent (alerts have none).</summary>
    public string? RequestId
    {
        get => _requestId ?? (_requestIdStart < 0 ? null : _requestIdCache ??= Decode(_requestIdStart, _requestIdLength));
        init => _requestId = value;
    }

    /// <summary>Gets the header <c>ResponseID</c>, or <see langword="null"/> when absent.</summary>
    public string? ResponseId
    {
        get => _responseId ?? (_responseIdStart < 0 ? null : _responseIdCache ??= Decode(_responseIdStart, _responseIdLength));
        init => _responseId = value;
    }

    /// <summary>
    /// Gets the device the message concerns, read from the DUIS header ids (<c>originator : target : counter</c>):
    /// for an alert, the originator part of <c>ResponseID</c> (the device that raised it); for a response, the
    /// target part of <c>RequestID</c> (the device the request was sent to). <see langword="null"/> where the
    /// message does not say: a response without a <c>RequestID</c>, an alert without a <c>ResponseID</c>, or an id
    /// that is not in the DUIS form.
    /// </summary>
    /// <remarks>Read from the received bytes on first use without allocating, then remembered.</remarks>
    public DeviceId? Device
    {
        get
        {
            int state = Volatile.Read(ref _deviceState);
            if (state == 0)
            {
                state = ReadDevice(out _device) ? 2 : 1;
                Volatile.Write(ref _deviceState, state);
            }

            return state == 2 ? new DeviceId(_device) : null;
        }
    }

    /// <summary>
    /// Gets when the adapter received the message. When left at its default, the scheduler stamps it from its
    /// <see cref="TimeProvider"/> on enqueue.
    /// </summary>
    public DateTimeOffset ReceivedAt
    {
        get => _receivedAt;
        init => _receivedAt = value;
    }

    /// <summary>Gets a value indicating whether this is an alert (Device, DCC, or a SMETS1 alert without an SRV).</summary>
    public bool IsAlert => Kind is DuisMessageKind.DeviceAlert or DuisMessageKind.DccAlert
        || (Kind == DuisMessageKind.Smets1Response && ServiceReferenceVariant.IsNone && !AlertCode.IsNone);

    /// <inheritdoc />
    public override string ToString()
    {
        var srvOrCode = ServiceReferenceVariant.IsNone ? AlertCode.ToString() : ServiceReferenceVariant.ToString();
        return $"{Kind} {srvOrCode} {ResponseCode}".TrimEnd();
    }

    /// <summary>Records where the reader found the request id in <see cref="RawMessage"/> (decoded lazily).</summary>
    internal void SetRequestIdRange(int start, int length)
    {
        _requestIdStart = start;
        _requestIdLength = length;
    }

    /// <summary>Records where the reader found the response id in <see cref="RawMessage"/> (decoded lazily).</summary>
    internal void SetResponseIdRange(int start, int length)
    {
        _responseIdStart = start;
        _responseIdLength = length;
    }

    /// <summary>Stamps the receive time when the creator left it unset; called once, before the envelope is published.</summary>
    /// <summary>
    /// Gets or sets the trace context of the operation that accepted the message (the intake request), so the release
    /// span can link to it; <see langword="null"/> when nothing was being traced. Boxed so that an untraced message
    /// pays one reference, not the whole context.
    /// </summary>
    internal System.Diagnostics.ActivityContext? IntakeTraceContext
    {
        get => _intakeTraceContext?.Context;
        set => _intakeTraceContext = value is { } context ? new TraceContextBox(context) : null;
    }

    /// <summary>Captures <see cref="System.Diagnostics.Activity.Current"/> as the intake trace context, unless one is set already (a message recovered from the journal).</summary>
    internal void CaptureIntakeTraceContext()
    {
        if (_intakeTraceContext is null && System.Diagnostics.Activity.Current is { } current)
        {
            _intakeTraceContext = new TraceContextBox(current.Context);
        }
    }

    internal void StampReceivedAt(DateTimeOffset now)
    {
        if (_receivedAt == default)
        {
            _receivedAt = now;
        }
    }

    private bool ReadDevice(out ulong device)
    {
        // An alert names its device as the originator of the response id; a response as the target of the request id.
        bool alert = IsAlert;
        int part = alert ? 0 : 1;
        (string? text, int start, int length) = alert
            ? (_responseId, _responseIdStart, _responseIdLength)
            : (_requestId, _requestIdStart, _requestIdLength);
        bool found = text is not null
            ? DeviceId.TryReadIdPart(text.AsSpan(), part, out var id)
            : DeviceId.TryReadIdPart(start < 0 ? default : RawMessage.Span.Slice(start, length), part, out id);
        device = id.Value;
        return found;
    }

    private string Decode(int start, int length) => Encoding.UTF8.GetString(RawMessage.Span.Slice(start, length));

    private sealed class TraceContextBox(System.Diagnostics.ActivityContext context)
    {
        public System.Diagnostics.ActivityContext Context { get; } = context;
    }
}
