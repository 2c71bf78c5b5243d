using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

public class DuisCodeTests
{
    [TestCase("8f0f", "8F0F")]
    [TestCase("8F0F", "8F0F")]
    [TestCase("I0", "I0")]
    [TestCase("n24", "N24")]
    [TestCase("ABCDEFGH", "ABCDEFGH")]
    public void Parse_Valid_NormalisesToUpperCase(string text, string expected)
    {
        var code = DuisCode.Parse(text);
        Assert.That(code.ToString(), Is.EqualTo(expected));
        Assert.That(code.Length, Is.EqualTo(expected.Length));
        Assert.That(code, Is.EqualTo(DuisCode.Parse(expected)));
        Assert.That(code.GetHashCode(), Is.EqualTo(DuisCode.Parse(expected).GetHashCode()));
    }

    [TestCase("")]
    [TestCase("ABCDEFGHI")]
    [TestCase("8F 0F")]
    [TestCase("8F-0F")]
    [TestCase("é1")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        Assert.That(DuisCode.TryParse(text, out var code), Is.False);
        Assert.That(code.IsNone, Is.True);
        Assert.That(DuisCode.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out _), Is.False);
        Assert.Throws<FormatException>(() => DuisCode.Parse(text));
    }

    [Test]
    public void Distinct_CodesOfDifferentLength_AreNotEqual()
    {
        Assert.That(DuisCode.Parse("0A"), Is.Not.EqualTo(DuisCode.Parse("A")));
        Assert.That(DuisCode.Parse("E65") != DuisCode.Parse("E66"), Is.True);
        Assert.That(DuisCode.Parse("E65") == DuisCode.Parse("e65"), Is.True);
    }

    [Test]
    public void IsHexadecimal_DistinguishesDeviceAlertCodes()
    {
        Assert.That(DuisCode.Parse("8F0F").IsHexadecimal, Is.True);
        Assert.That(DuisCode.Parse("N24").IsHexadecimal, Is.False);
        Assert.That(DuisCode.None.IsHexadecimal, Is.False);
    }

    [Test]
    public void Utf8_MatchesChars()
    {
        Assert.That(DuisCode.TryParse("8f0f"u8, out var code), Is.True);
        Assert.That(code, Is.EqualTo(DuisCode.Parse("8F0F")));
    }

    [Test]
    public void None_IsEmpty()
    {
        Assert.That(DuisCode.None.ToString(), Is.Empty);
        Assert.That(DuisCode.TryParse((string?)null, out _), Is.False);
        Assert.Throws<ArgumentNullException>(() => DuisCode.Parse(null!));
    }

    [Test]
    public void TryFormat_WritesCode()
    {
        var code = DuisCode.Parse("E65");
        Assert.That(code.TryFormat(new char[2], out _, default, null), Is.False);
        var buffer = new char[3];
        Assert.That(code.TryFormat(buffer, out int written, default, null), Is.True);
        Assert.That(new string(buffer, 0, written), Is.EqualTo("E65"));
        Assert.That($"{code}", Is.EqualTo("E65"));
    }
}
