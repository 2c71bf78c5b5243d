using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

public class ServiceReferenceVariantTests
{
    [TestCase("8.1.1", 8, 1, 1)]
    [TestCase("11.2", 11, 2, null)]
    [TestCase("6.15.1", 6, 15, 1)]
    [TestCase("0.0", 0, 0, null)]
    [TestCase("9999.9999.9999", 9999, 9999, 9999)]
    public void Parse_ValidText_ReturnsComponentsAndRoundTrips(string text, int major, int minor, int? variant)
    {
        var srv = ServiceReferenceVariant.Parse(text);
        Assert.Multiple(() =>
        {
            Assert.That(srv.Major, Is.EqualTo(major));
            Assert.That(srv.Minor, Is.EqualTo(minor));
            Assert.That(srv.Variant, Is.EqualTo(variant));
            Assert.That(srv.ComponentCount, Is.EqualTo(variant is null ? 2 : 3));
            Assert.That(srv.ToString(), Is.EqualTo(text));
            Assert.That(srv.IsNone, Is.False);
        });
    }

    [TestCase("")]
    [TestCase("8")]
    [TestCase("8.")]
    [TestCase(".8")]
    [TestCase("8..1")]
    [TestCase("8.1.1.1")]
    [TestCase("8.1.")]
    [TestCase(" 8.1.1")]
    [TestCase("8.1.1 ")]
    [TestCase("8.a.1")]
    [TestCase("-8.1")]
    [TestCase("+8.1")]
    [TestCase("08.1")]
    [TestCase("8.01")]
    [TestCase("10000.1")]
    [TestCase("8,1,1")]
    [TestCase("８.1")]
    public void TryParse_MalformedText_ReturnsFalse(string text)
    {
        Assert.That(ServiceReferenceVariant.TryParse(text, out var srv), Is.False);
        Assert.That(srv.IsNone, Is.True);
        Assert.That(ServiceReferenceVariant.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out _), Is.False);
    }

    [Test]
    public void Parse_MalformedText_ThrowsFormatExceptionNamingTheText()
    {
        var ex = Assert.Throws<FormatException>(() => ServiceReferenceVariant.Parse("8.x"));
        Assert.That(ex!.Message, Does.Contain("'8.x'").And.Contain("8.1.1"));
    }

    [Test]
    public void Parse_Null_ThrowsArgumentNullException()
        => Assert.Throws<ArgumentNullException>(() => ServiceReferenceVariant.Parse(null!));

    [Test]
    public void TryParse_Null_ReturnsFalse()
        => Assert.That(ServiceReferenceVariant.TryParse((string?)null, out _), Is.False);

    [Test]
    public void TryParse_Utf8_MatchesCharParse()
    {
        Assert.That(ServiceReferenceVariant.TryParse("4.1.1"u8, out var srv), Is.True);
        Assert.That(srv, Is.EqualTo(ServiceReferenceVariant.Create(4, 1, 1)));
        Assert.That(ServiceReferenceVariant.TryParse("123456789012345"u8, out _), Is.False);
    }

    [Test]
    public void Equality_SameComponentsDifferentArity_AreDifferent()
    {
        var two = ServiceReferenceVariant.Create(4, 1);
        var three = ServiceReferenceVariant.Create(4, 1, 0);
        Assert.Multiple(() =>
        {
            Assert.That(two, Is.Not.EqualTo(three));
            Assert.That(two == ServiceReferenceVariant.Parse("4.1"), Is.True);
            Assert.That(two != three, Is.True);
            Assert.That(two.GetHashCode(), Is.EqualTo(ServiceReferenceVariant.Parse("4.1").GetHashCode()));
            Assert.That(two.Equals((object)ServiceReferenceVariant.Parse("4.1")), Is.True);
            Assert.That(two.Equals("4.1"), Is.False);
        });
    }

    [Test]
    public void CompareTo_OrdersNumericallyByComponent()
    {
        var sorted = new[] { "11.2", "2.2", "4.1.1", "4.1", "4.10.1", "4.2.1" }
            .Select(ServiceReferenceVariant.Parse).Order().Select(s => s.ToString());
        Assert.That(sorted, Is.EqualTo(new[] { "2.2", "4.1", "4.1.1", "4.2.1", "4.10.1", "11.2" }));
        Assert.That(ServiceReferenceVariant.Parse("2.2") < ServiceReferenceVariant.Parse("11.2"), Is.True);
        Assert.That(ServiceReferenceVariant.Parse("11.2") > ServiceReferenceVariant.Parse("2.2"), Is.True);
        Assert.That(ServiceReferenceVariant.Parse("2.2") <= ServiceReferenceVariant.Parse("2.2"), Is.True);
        Assert.That(ServiceReferenceVariant.Parse("2.2") >= ServiceReferenceVariant.Parse("2.2"), Is.True);
    }

    [Test]
    public void IsWithin_Prefix_MatchesOnlyLongerSrvsUnderIt()
    {
        var prefix = ServiceReferenceVariant.Parse("4.6");
        Assert.Multiple(() =>
        {
            Assert.That(ServiceReferenceVariant.Parse("4.6.1").IsWithin(prefix), Is.True);
            Assert.That(ServiceReferenceVariant.Parse("4.6").IsWithin(prefix), Is.False);
            Assert.That(ServiceReferenceVariant.Parse("4.61.1").IsWithin(prefix), Is.False);
            Assert.That(ServiceReferenceVariant.Parse("4.6.1").IsWithin(4), Is.True);
            Assert.That(ServiceReferenceVariant.None.IsWithin(0), Is.False);
        });
    }

    [Test]
    public void None_IsDefaultAndFormatsEmpty()
    {
        Assert.That(default(ServiceReferenceVariant).IsNone, Is.True);
        Assert.That(ServiceReferenceVariant.None.ToString(), Is.Empty);
        Assert.That(ServiceReferenceVariant.None.Variant, Is.Null);
    }

    [Test]
    public void Create_ComponentOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ServiceReferenceVariant.Create(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ServiceReferenceVariant.Create(1, 10000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ServiceReferenceVariant.Create(1, 1, 10000));
    }

    [Test]
    public void TryFormat_DestinationTooSmall_ReturnsFalse()
    {
        var srv = ServiceReferenceVariant.Parse("8.1.1");
        Assert.That(srv.TryFormat(new char[3], out _, default, null), Is.False);
        Assert.That(srv.TryFormat(new char[5], out int written, default, null), Is.True);
        Assert.That(written, Is.EqualTo(5));
    }

    [Test]
    public void SpanParsable_GenericParse_Works()
    {
        Assert.That(ParseGeneric<ServiceReferenceVariant>("2.2"), Is.EqualTo(ServiceReferenceVariant.Create(2, 2)));

        static T ParseGeneric<T>(string s) where T : ISpanParsable<T> => T.Parse(s, null);
    }
}
