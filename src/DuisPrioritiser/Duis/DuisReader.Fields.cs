// DUIS field extraction: which element is which (by namespace URI and local name, in which parent), the
// singletons that may appear once, and the checks and conversions of each extracted value on its end tag.

using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DuisPrioritiser.Duis;

/// <content>Recognising DUIS elements and converting their values.</content>
internal static partial class DuisReader
{
    private ref partial struct Parser
    {
        private bool MarkOnce(Seen flag, int offset, string what)
        {
            if ((_seen & flag) != 0)
            {
                return Fail(DuisParseErrorCode.DuplicateElement, offset, what + " appears more than once");
            }

            _seen |= flag;
            return true;
        }

        private bool ChildContext(Ctx parent, Ns ns, ReadOnlySpan<byte> local, int localStart, int offset, out Ctx context)
        {
            context = Ctx.Ignored;
            bool duis = ns == Ns.Duis;
            switch (parent)
            {
                case Ctx.Root when duis:
                    if (local.SequenceEqual("Header"u8))
                    {
                        context = Ctx.Header;
                        return MarkOnce(Seen.Header, offset, "Header");
                    }

                    if (local.SequenceEqual("Body"u8))
                    {
                        context = Ctx.Body;
                        return MarkOnce(Seen.Body, offset, "Body");
                    }

                    return true;

                case Ctx.Header when duis:
                    if (local.SequenceEqual("RequestID"u8))
                    {
                        context = Ctx.RequestId;
                        return MarkOnce(Seen.RequestId, offset, "RequestID");
                    }

                    if (local.SequenceEqual("ResponseID"u8))
                    {
                        context = Ctx.ResponseId;
                        return MarkOnce(Seen.ResponseId, offset, "ResponseID");
                    }

                    if (local.SequenceEqual("ResponseCode"u8))
                    {
                        context = Ctx.ResponseCode;
                        return MarkOnce(Seen.ResponseCode, offset, "ResponseCode");
                    }

                    if (local.SequenceEqual("ResponseDateTime"u8))
                    {
                        context = Ctx.ResponseDateTime;
                        return MarkOnce(Seen.ResponseDateTime, offset, "ResponseDateTime");
                    }

                    return true;

                case Ctx.Body when duis:
                    if (local.SequenceEqual("ResponseMessage"u8))
                    {
                        context = Ctx.ResponseMessage;
                        _kind = DuisMessageKind.Response;
                    }
                    else if (local.SequenceEqual("DeviceAlertMessage"u8))
                    {
                        context = Ctx.DeviceAlertMessage;
                        _kind = DuisMessageKind.DeviceAlert;
                    }
                    else if (local.SequenceEqual("DCCAlertMessage"u8))
                    {
                        context = Ctx.DccAlertMessage;
                        _kind = DuisMessageKind.DccAlert;
                    }
                    else if (local.SequenceEqual("SMETS1ResponseMessage"u8))
                    {
                        context = Ctx.Smets1Message;
                        _kind = DuisMessageKind.Smets1Response;
                    }
                    else
                    {
                        return Fail(DuisParseErrorCode.UnknownMessage, offset, "The Body holds '" + Excerpt(localStart, local.Length) + "', which is not a ResponseMessage, DeviceAlertMessage, DCCAlertMessage or SMETS1ResponseMessage");
                    }

                    if ((_seen & Seen.Message) != 0)
                    {
                        return Fail(DuisParseErrorCode.MultipleMessages, offset, "The Body holds more than one message");
                    }

                    _seen |= Seen.Message;
                    return true;

                case Ctx.ResponseMessage when duis:
                    if (local.SequenceEqual("ServiceReferenceVariant"u8))
                    {
                        context = Ctx.Srv;
                        return MarkOnce(Seen.Srv, offset, "ServiceReferenceVariant");
                    }

                    if (local.SequenceEqual("DSPScheduledMessage"u8))
                    {
                        _dccScheduled = true;
                        return MarkOnce(Seen.DspScheduled, offset, "DSPScheduledMessage");
                    }

                    if (local.SequenceEqual("FutureDatedDeviceAlertMessage"u8))
                    {
                        context = Ctx.FutureDated;
                        return MarkOnce(Seen.FutureDated, offset, "FutureDatedDeviceAlertMessage");
                    }

                    return true;

                case Ctx.FutureDated when duis:
                    if (local.SequenceEqual("FutureDatedAlertCode"u8))
                    {
                        context = Ctx.FutureDatedCode;
                        return MarkOnce(Seen.FutureDatedCode, offset, "FutureDatedAlertCode");
                    }

                    return true;

                case Ctx.DeviceAlertMessage when duis:
                    if (local.SequenceEqual("AlertCode"u8))
                    {
                        context = Ctx.AlertCode;
                        return MarkOnce(Seen.AlertCode, offset, "AlertCode");
                    }

                    if (local.SequenceEqual("ThrottledAlertCount"u8))
                    {
                        context = Ctx.ThrottledCount;
                        return MarkOnce(Seen.ThrottledCount, offset, "ThrottledAlertCount");
                    }

                    return true;

                case Ctx.DccAlertMessage when duis:
                    if (local.SequenceEqual("DCCAlertCode"u8))
                    {
                        context = Ctx.DccAlertCode;
                        return MarkOnce(Seen.DccAlertCode, offset, "DCCAlertCode");
                    }

                    if (local.SequenceEqual("ThrottledAlertCount"u8))
                    {
                        context = Ctx.ThrottledCount;
                        return MarkOnce(Seen.ThrottledCount, offset, "ThrottledAlertCount");
                    }

                    if (local.SequenceEqual("DCCAlert"u8))
                    {
                        context = Ctx.DccAlert;
                        return MarkOnce(Seen.DccAlert, offset, "DCCAlert");
                    }

                    return true;

                case Ctx.DccAlert when duis:
                    if (!MarkOnce(Seen.DccAlertPayload, offset, "A payload element inside DCCAlert"))
                    {
                        return false;
                    }

                    _payloadName = DccAlertPayloadNames.Find(local);
                    if (_payloadName is null)
                    {
                        _payloadStart = localStart;
                        _payloadLength = local.Length;
                    }

                    return true;

                case Ctx.Smets1Message when duis:
                    if (local.SequenceEqual("ServiceReferenceVariant"u8))
                    {
                        context = Ctx.Srv;
                        return MarkOnce(Seen.Srv, offset, "ServiceReferenceVariant");
                    }

                    if (local.SequenceEqual("DSPScheduleID"u8))
                    {
                        _dccScheduled = true;
                        return MarkOnce(Seen.DspScheduled, offset, "DSPScheduleID");
                    }

                    if (local.SequenceEqual("ThrottledAlertCount"u8))
                    {
                        context = Ctx.ThrottledCount;
                        return MarkOnce(Seen.ThrottledCount, offset, "ThrottledAlertCount");
                    }

                    if (local.SequenceEqual("SMETS1SignedResponse"u8))
                    {
                        context = Ctx.Smets1Signed;
                    }

                    return true;

                case Ctx.Smets1Signed when duis:
                    context = local.SequenceEqual("SMETS1Response"u8) ? Ctx.Smets1Response : Ctx.Ignored;
                    return true;

                case Ctx.Smets1Response when duis:
                    context = local.SequenceEqual("Body"u8) ? Ctx.Smets1Body : Ctx.Ignored;
                    return true;

                case Ctx.Smets1Body when duis:
                    context = local.SequenceEqual("DeviceAlertMessage"u8) ? Ctx.Smets1DeviceAlert : Ctx.Ignored;
                    return true;

                case Ctx.Smets1DeviceAlert when ns == Ns.ResponseAndAlert:
                    context = local.SequenceEqual("DeviceAlertContent"u8) ? Ctx.Smets1AlertContent : Ctx.Ignored;
                    return true;

                case Ctx.Smets1AlertContent when ns == Ns.ResponseAndAlert:
                    if (local.SequenceEqual("GBCSHexAlertCode"u8))
                    {
                        context = Ctx.Smets1HexCode;
                        return MarkOnce(Seen.Smets1HexCode, offset, "GBCSHexAlertCode");
                    }

                    return true;

                default:
                    return true;
            }
        }

        /// <remarks>Called only for the contexts in <see cref="ExitContexts"/>; keep the two in step.</remarks>
        private bool OnExit(Ctx context, int offset)
        {
            Debug.Assert(HasExitWork(context), "OnExit is called only for contexts in ExitContexts");
            switch (context)
            {
                case Ctx.Root:
                    return (_seen & Seen.Body) != 0 || Fail(DuisParseErrorCode.MissingBody, offset, "The Response has no Body");

                case Ctx.Body:
                    return (_seen & Seen.Message) != 0 || Fail(DuisParseErrorCode.UnknownMessage, offset, "The Body holds no ResponseMessage, DeviceAlertMessage, DCCAlertMessage or SMETS1ResponseMessage");

                case Ctx.ResponseMessage:
                    return (_seen & Seen.Srv) != 0 || Fail(DuisParseErrorCode.MissingServiceReferenceVariant, offset, "The ResponseMessage has no ServiceReferenceVariant");

                case Ctx.DeviceAlertMessage:
                    return (_seen & Seen.AlertCode) != 0 || Fail(DuisParseErrorCode.MissingAlertCode, offset, "The DeviceAlertMessage has no AlertCode");

                case Ctx.DccAlertMessage:
                    return (_seen & Seen.DccAlertCode) != 0 || Fail(DuisParseErrorCode.MissingAlertCode, offset, "The DCCAlertMessage has no DCCAlertCode");

                case Ctx.Srv:
                    return (TryGetCapture(out var srvText, out _) && ServiceReferenceVariant.TryParse(srvText, out _srv))
                        || Fail(DuisParseErrorCode.InvalidServiceReferenceVariant, offset, "The ServiceReferenceVariant '" + CaptureExcerpt() + "' is not of the form n.n or n.n.n");

                case Ctx.ResponseCode:
                    return (TryGetCapture(out var codeText, out _) && DuisCode.TryParse(codeText, out _responseCode))
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The ResponseCode '" + CaptureExcerpt() + "' is not 1 to 8 letters and digits");

                case Ctx.AlertCode:
                    return (TryGetCapture(out var alertText, out _) && DuisCode.TryParse(alertText, out _alertCode) && _alertCode.IsHexadecimal)
                        || Fail(DuisParseErrorCode.InvalidAlertCode, offset, "The AlertCode '" + CaptureExcerpt() + "' is not a hexadecimal code of 1 to 8 digits");

                case Ctx.Smets1HexCode:
                    return (TryGetCapture(out var smets1Text, out _) && DuisCode.TryParse(smets1Text, out _smets1AlertCode) && _smets1AlertCode.IsHexadecimal)
                        || Fail(DuisParseErrorCode.InvalidAlertCode, offset, "The GBCSHexAlertCode '" + CaptureExcerpt() + "' is not a hexadecimal code of 1 to 8 digits");

                case Ctx.DccAlertCode:
                    return (TryGetCapture(out var dccText, out _) && DuisCode.TryParse(dccText, out _alertCode))
                        || Fail(DuisParseErrorCode.InvalidAlertCode, offset, "The DCCAlertCode '" + CaptureExcerpt() + "' is not 1 to 8 letters and digits");

                case Ctx.FutureDatedCode:
                    return (TryGetCapture(out var futureText, out _) && DuisCode.TryParse(futureText, out _futureDatedOutcome) && _futureDatedOutcome.IsHexadecimal)
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The FutureDatedAlertCode '" + CaptureExcerpt() + "' is not a hexadecimal code");

                case Ctx.ThrottledCount:
                    return (TryGetCapture(out var countText, out _) && TryParseCount(countText, out _throttledCount))
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The ThrottledAlertCount '" + CaptureExcerpt() + "' is not an unsigned integer");

                case Ctx.ResponseDateTime:
                    return (TryGetCapture(out var timeText, out _) && DuisDateTime.TryParse(timeText, out _responseDateTime))
                        || Fail(DuisParseErrorCode.InvalidValue, offset, "The ResponseDateTime '" + CaptureExcerpt() + "' is not an xs:dateTime such as 2022-07-22T09:37:56.134Z");

                case Ctx.RequestId:
                    return CaptureId(ref _requestIdStart, ref _requestIdLength, ref _requestIdText, offset, "RequestID");

                case Ctx.ResponseId:
                    return CaptureId(ref _responseIdStart, ref _responseIdLength, ref _responseIdText, offset, "ResponseID");

                default:
                    return true;
            }
        }

        private bool CaptureId(ref int start, ref int length, ref string? text, int offset, string what)
        {
            if (!TryGetCapture(out var value, out int rawStart))
            {
                return Fail(DuisParseErrorCode.InvalidValue, offset, "The " + what + " is longer than " + CaptureCapacity.ToString(CultureInfo.InvariantCulture) + " bytes once decoded (it holds a reference, CDATA, a comment or a line break)");
            }

            if (rawStart >= 0)
            {
                start = rawStart;
                length = value.Length;
            }
            else
            {
                // Rare: the id holds a reference, CDATA or a comment, so it is not one contiguous run of bytes.
                text = Encoding.UTF8.GetString(value);
            }

            return true;
        }

        /// <summary>Parses the <c>xs:unsignedInt</c> lexical form: an optional sign ('+', or '-' before a zero), then
        /// one or more digits, leading zeros allowed; the value at most 4,294,967,295.</summary>
        internal static bool TryParseCount(ReadOnlySpan<byte> text, out int count)
        {
            count = 0;
            bool negative = false;
            if (!text.IsEmpty && text[0] is (byte)'+' or (byte)'-')
            {
                negative = text[0] == (byte)'-';
                text = text[1..];
            }

            if (text.IsEmpty)
            {
                return false;
            }

            ulong value = 0;
            foreach (byte b in text)
            {
                uint digit = (uint)(b - '0');
                if (digit > 9)
                {
                    return false;
                }

                value = (value * 10) + digit;
                if (value > uint.MaxValue)
                {
                    return false;
                }
            }

            if (negative && value != 0)
            {
                return false;
            }

            // xs:unsignedInt goes to 4,294,967,295; the envelope holds an int, so larger counts saturate.
            count = (int)Math.Min(value, int.MaxValue);
            return true;
        }

        private readonly string CaptureExcerpt()
        {
            if (_captureSegments == 1 && _captureRawOnly)
            {
                return Excerpt(_rawStart, _rawLength);
            }

            return Sanitise(_capture[.._captureLength]);
        }

        private readonly string Excerpt(int start, int length) => Sanitise(_buf.Slice(start, length));

        private static string Sanitise(ReadOnlySpan<byte> bytes)
        {
            const int Max = 40;
            var slice = bytes.Length > Max ? bytes[..Max] : bytes;
            var builder = new StringBuilder(slice.Length + 3);
            foreach (byte b in slice)
            {
                builder.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
            }

            if (bytes.Length > Max)
            {
                builder.Append("...");
            }

            return builder.ToString();
        }
    }
}
