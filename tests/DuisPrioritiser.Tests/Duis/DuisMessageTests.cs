using System.Text;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

public class DuisMessageTests
{
    [Test]
    public void Constructor_KeepsRawBytesUnchanged()
    {
        var bytes = Encoding.UTF8.GetBytes("<sr:Response/>");
        var message = new DuisMessage(DuisMessageKind.Response, bytes);
        Assert.That(message.RawMessage.ToArray(), Is.EqualTo(bytes));
        Assert.That(message.RawMessage.Span.Overlaps(bytes), Is.True, "The envelope must not copy the bytes.");
    }

    [Test]
    public void Constructor_UndefinedKind_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DuisMessage((DuisMessageKind)42));

    [Test]
    public void InitProperties_AreExposed()
    {
        var at = new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);
        var message = new DuisMessage(DuisMessageKind.Response)
        {
            ServiceReferenceVariant = ServiceReferenceVariant.Parse("8.1.1"),
            ResponseCode = DuisCode.Parse("I0"),
            RequestId = "req",
            ResponseId = "resp",
            ReceivedAt = at,
            IsDccScheduled = true,
            ThrottledAlertCount = 3,
            FutureDatedOutcome = DuisCode.Parse("8F66"),
            ResponseDateTime = at,
        };
        Assert.Multiple(() =>
        {
            Assert.That(message.Kind, Is.EqualTo(DuisMessageKind.Response));
            Assert.That(message.ServiceReferenceVariant.ToString(), Is.EqualTo("8.1.1"));
            Assert.That(message.ResponseCode.ToString(), Is.EqualTo("I0"));
            Assert.That(message.RequestId, Is.EqualTo("req"));
            Assert.That(message.ResponseId, Is.EqualTo("resp"));
            Assert.That(message.ReceivedAt, Is.EqualTo(at));
            Assert.That(message.IsDccScheduled, Is.True);
            Assert.That(message.ThrottledAlertCount, Is.EqualTo(3));
            Assert.That(message.FutureDatedOutcome.ToString(), Is.EqualTo("8F66"));
            Assert.That(message.IsAlert, Is.False);
            Assert.That(message.ToString(), Is.EqualTo("Response 8.1.1 I0"));
        });
    }

    [Test]
    public void IdRanges_AreDecodedLazilyFromRawBytes()
    {
        var bytes = Encoding.UTF8.GetBytes("xxABCyyDEF");
        var message = new DuisMessage(DuisMessageKind.Response, bytes);
        message.SetRequestIdRange(2, 3);
        message.SetResponseIdRange(7, 3);
        Assert.That(message.RequestId, Is.EqualTo("ABC"));
        Assert.That(message.ResponseId, Is.EqualTo("DEF"));
        var first = message.RequestId;
        Assert.That(message.RequestId, Is.SameAs(first), "Decoded once, then cached.");
    }

    [Test]
    public void IsAlert_ByKind()
    {
        Assert.That(TestMessages.DeviceAlert("8F0F").IsAlert, Is.True);
        Assert.That(TestMessages.DccAlert("AD1").IsAlert, Is.True);
        Assert.That(new DuisMessage(DuisMessageKind.Smets1Response) { AlertCode = DuisCode.Parse("8F0F") }.IsAlert, Is.True);
        Assert.That(new DuisMessage(DuisMessageKind.Smets1Response).IsAlert, Is.False);
    }

    [Test]
    public void StampReceivedAt_OnlyWhenUnset()
    {
        var first = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var message = new DuisMessage(DuisMessageKind.Response);
        message.StampReceivedAt(first);
        message.StampReceivedAt(first.AddHours(1));
        Assert.That(message.ReceivedAt, Is.EqualTo(first));
    }
}
