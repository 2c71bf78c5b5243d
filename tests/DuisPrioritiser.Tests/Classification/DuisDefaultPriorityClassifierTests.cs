using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using static DuisPrioritiser.Tests.Duis.DuisCorpus;

namespace DuisPrioritiser.Tests.Classification;

/// <summary>Every rule of "Default priority levels", end to end from XML bytes.</summary>
public class DuisDefaultPriorityClassifierTests
{
    private static PriorityLevel Classify(string xml)
    {
        var message = DuisMessage.Parse(Utf8(xml));
        Assert.That(DuisDefaultPriorityClassifier.Instance.TryClassify(message, out var level), Is.True);
        return level;
    }

    // Rule 2: responses take their SRV's catalogue default.
    [TestCase("8.1.1", PriorityLevel.Critical)] // Install & Commission
    [TestCase("2.2", PriorityLevel.Critical)] // Prepayment
    [TestCase("4.18", PriorityLevel.Critical)] // Prepayment read
    [TestCase("7.2", PriorityLevel.High)] // Supply control
    [TestCase("6.15.1", PriorityLevel.High)] // Security / CoS
    [TestCase("1.1.1", PriorityLevel.High)] // Tariff
    [TestCase("4.1.1", PriorityLevel.Normal)] // Read
    [TestCase("4.14", PriorityLevel.Normal)] // the exception in the prepayment category
    [TestCase("11.2", PriorityLevel.Normal)] // Firmware
    [TestCase("8.2", PriorityLevel.Normal)] // Inventory
    public void TryClassify_Response_TakesCatalogueDefault(string srv, PriorityLevel expected)
        => Assert.That(Classify(Response(srv, GbcsPayload())), Is.EqualTo(expected));

    [TestCase("E20")]
    [TestCase("E21")]
    [TestCase("E30")]
    [TestCase("I99")]
    [TestCase("W1")]
    public void TryClassify_ErrorOrAckResponse_TakesItsSrvPriority(string responseCode)
        => Assert.That(Classify(Response("8.1.1", responseCode: responseCode)), Is.EqualTo(PriorityLevel.Critical));

    [TestCase("8F66")]
    [TestCase("8F67")]
    public void TryClassify_FutureDatedOutcome_TakesItsSrvPriority(string outcome)
    {
        Assert.That(Classify(Response("1.1.1", FutureDatedPayload(outcome))), Is.EqualTo(PriorityLevel.High));
        Assert.That(Classify(Response("11.3", FutureDatedPayload(outcome))), Is.EqualTo(PriorityLevel.Normal));
    }

    [TestCase("13.1")]
    [TestCase("4.4.1")]
    [TestCase("99.99.99")]
    public void TryClassify_WellFormedSrvNotInCatalogue_IsNormal(string srv)
        => Assert.That(Classify(Response(srv)), Is.EqualTo(PriorityLevel.Normal));

    [TestCase("4.6.1")]
    [TestCase("4.8.1")]
    [TestCase("4.3")] // even an SRV whose default is Critical: a scheduled execution is Low
    public void TryClassify_DspScheduledMessage_IsLow(string srv)
        => Assert.That(Classify(Response(srv, ScheduledPayload())), Is.EqualTo(PriorityLevel.Low));

    [Test]
    public void TryClassify_CreateScheduleResultWithDspScheduleId_IsNotScheduled()
        => Assert.That(Classify(Response("5.1", "<sr:DSPScheduleID>42</sr:DSPScheduleID>")), Is.EqualTo(PriorityLevel.Normal));

    [Test]
    public void TryClassify_Smets1WithSrv_TakesCatalogueDefault()
    {
        Assert.That(Classify(Smets1("8.1.1")), Is.EqualTo(PriorityLevel.Critical));
        Assert.That(Classify(Smets1("7.4")), Is.EqualTo(PriorityLevel.High));
        Assert.That(Classify(Smets1("4.1.1")), Is.EqualTo(PriorityLevel.Normal));
    }

    [Test]
    public void TryClassify_Smets1WithDspScheduleId_IsLow()
        => Assert.That(Classify(Smets1("4.6.1", scheduleId: "7")), Is.EqualTo(PriorityLevel.Low));

    [Test]
    public void TryClassify_Smets1WithoutSrvOrAlert_IsNormal()
        => Assert.That(Classify(Smets1()), Is.EqualTo(PriorityLevel.Normal));

    // Rule 3: device alerts.
    [TestCase("8F0F", PriorityLevel.Critical)]
    [TestCase("8f0f", PriorityLevel.Critical)]
    [TestCase("8F69", PriorityLevel.Critical)]
    [TestCase("8F33", PriorityLevel.High)]
    [TestCase("8F36", PriorityLevel.High)]
    [TestCase("8F75", PriorityLevel.High)]
    [TestCase("8F66", PriorityLevel.Bulk)]
    [TestCase("0001", PriorityLevel.Bulk)]
    [TestCase("81A0", PriorityLevel.Bulk)]
    public void TryClassify_DeviceAlert_UsesAlertTableElseBulk(string code, PriorityLevel expected)
        => Assert.That(Classify(DeviceAlert(code)), Is.EqualTo(expected));

    [TestCase("8F0F", PriorityLevel.Critical)]
    [TestCase("8F35", PriorityLevel.High)]
    [TestCase("1234", PriorityLevel.Bulk)]
    public void TryClassify_Smets1WithoutSrvWithAlert_UsesDeviceAlertRule(string code, PriorityLevel expected)
        => Assert.That(Classify(Smets1(alertCode: code)), Is.EqualTo(expected));

    // Rule 4: DCC alerts: code, else payload, else Bulk.
    [TestCase("AD1", "PowerOutageEvent", PriorityLevel.High)]
    [TestCase("N24", "UpdateHANDeviceLogResult", PriorityLevel.Critical)]
    [TestCase("AD1", "CommandFailure", PriorityLevel.High)] // code listed: payload not consulted
    [TestCase("N25", "DeviceLogRestored", PriorityLevel.Critical)] // code unlisted: payload decides
    [TestCase("N42", "ECoSAlert", PriorityLevel.High)]
    [TestCase("N16", "PPMIDRemoval", PriorityLevel.Critical)]
    [TestCase("N1", "CommandFailure", PriorityLevel.Bulk)]
    [TestCase("N66", "SomethingNew", PriorityLevel.Bulk)] // a future code the schema does not list
    [TestCase("N66", "SecurityCredentialsUpdated", PriorityLevel.High)]
    public void TryClassify_DccAlert_CodeElsePayloadElseBulk(string code, string payload, PriorityLevel expected)
        => Assert.That(Classify(DccAlert(code, payload)), Is.EqualTo(expected));

    [Test]
    public void TryClassify_HandBuiltResponseWithoutSrv_DoesNotDecide()
    {
        Assert.That(DuisDefaultPriorityClassifier.Instance.TryClassify(new DuisMessage(DuisMessageKind.Response), out _), Is.False);
        Assert.That(DuisDefaultPriorityClassifier.Instance.Classify(new DuisMessage(DuisMessageKind.Response), PriorityLevel.Low), Is.EqualTo(PriorityLevel.Low));
    }

    [Test]
    public void TryClassify_HandBuiltEnvelopes_FollowTheSameRules()
    {
        Assert.That(DuisDefaultPriorityClassifier.Instance.Classify(TestMessages.Response("8.1.1")), Is.EqualTo(PriorityLevel.Critical));
        Assert.That(DuisDefaultPriorityClassifier.Instance.Classify(TestMessages.DeviceAlert("8F35")), Is.EqualTo(PriorityLevel.High));
        Assert.That(DuisDefaultPriorityClassifier.Instance.Classify(TestMessages.DccAlert("N3")), Is.EqualTo(PriorityLevel.Bulk));
        Assert.That(DuisDefaultPriorityClassifier.Instance.Classify(new DuisMessage(DuisMessageKind.DeviceAlert)), Is.EqualTo(PriorityLevel.Bulk));
    }

    [Test]
    public void TryClassify_Null_Throws()
        => Assert.That(() => DuisDefaultPriorityClassifier.Instance.TryClassify(null!, out _), Throws.ArgumentNullException);

    [Test]
    public void TryClassify_EveryCatalogueSrv_GivesItsDefaultLevel()
    {
        foreach (var entry in DuisCatalogue.All)
        {
            var message = new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = entry.Srv };
            Assert.That(DuisDefaultPriorityClassifier.Instance.Classify(message), Is.EqualTo(entry.DefaultLevel), entry.ToString());
        }
    }

    [Test]
    public void TryClassify_AfterWarmUp_DoesNotAllocate()
    {
        var messages = new[] { Response("8.1.1"), DeviceAlert("8F0F"), DccAlert("N25", "DeviceLogRestored"), Smets1(alertCode: "8F35") }
            .Select(x => DuisMessage.Parse(Utf8(x))).ToArray();
        foreach (var m in messages)
        {
            DuisDefaultPriorityClassifier.Instance.TryClassify(m, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var m in messages)
        {
            DuisDefaultPriorityClassifier.Instance.TryClassify(m, out _);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
