using System.Text;
using System.Xml;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>
/// Seeded random mutations of valid messages: TryParse never throws and either parses or reports an error; and
/// whenever it accepts, .NET's own XmlReader (DTDs prohibited) agrees the document is well-formed and namespace-correct.
/// </summary>
public class DuisReaderMutationTests
{
    private const int Seed = 20260301;
    private const int Mutations = 6000;

    // ASCII markup bytes, a few control and non-ASCII bytes (valid and invalid UTF-8), whole UTF-8 letters.
    private static readonly byte[][] s_alphabet =
    [
        "<"u8.ToArray(), ">"u8.ToArray(), "/"u8.ToArray(), "&"u8.ToArray(), ";"u8.ToArray(), ":"u8.ToArray(), "\""u8.ToArray(),
        "'"u8.ToArray(), "="u8.ToArray(), "!"u8.ToArray(), "?"u8.ToArray(), "-"u8.ToArray(), "]"u8.ToArray(), "["u8.ToArray(),
        " "u8.ToArray(), "\r\n"u8.ToArray(), "x"u8.ToArray(), "0"u8.ToArray(), "."u8.ToArray(), "#"u8.ToArray(),
        [0x00], [0x01], [0x1F], [0x80], [0xC3], [0xFF], "é"u8.ToArray(),
        "&amp;"u8.ToArray(), "&#x41;"u8.ToArray(), "<!--"u8.ToArray(), "-->"u8.ToArray(), "<![CDATA["u8.ToArray(), "]]>"u8.ToArray(),
        "<!DOCTYPE"u8.ToArray(), "<?pi?>"u8.ToArray(), "xmlns=\"\""u8.ToArray(), "sr:"u8.ToArray(),
    ];

    [Test]
    public void TryParse_SeededRandomMutations_NeverThrowsAndAgreesWithXmlReaderOnAcceptance()
    {
        var random = new Random(Seed);
        var corpus = DuisCorpus.ValidMessages().Select(m => DuisCorpus.Utf8(m.Xml)).ToArray();
        int accepted = 0;
        int rejected = 0;
        var disagreements = new List<string>();

        for (int n = 0; n < Mutations; n++)
        {
            var original = corpus[random.Next(corpus.Length)];
            var mutated = Mutate(original, random);

            bool ok;
            DuisMessage? message;
            DuisParseError error;
            try
            {
                ok = DuisMessage.TryParse(mutated, out message, out error);
            }
            catch (Exception exception)
            {
                Assert.Fail($"Mutation {n} threw {exception.GetType().Name}: {exception.Message}\n{Show(mutated)}");
                return;
            }

            if (ok)
            {
                accepted++;
                Assert.That(message, Is.Not.Null);
                Assert.That(error.IsError, Is.False);
                if (!IsWellFormed(mutated, out string why) && disagreements.Count < 5)
                {
                    disagreements.Add($"mutation {n}: accepted, but XmlReader says: {why}\n{Show(mutated)}");
                }
            }
            else
            {
                rejected++;
                Assert.That(message, Is.Null);
                Assert.That(error.IsError, Is.True);
                Assert.That(error.Message, Is.Not.Empty);
                Assert.That(error.Offset, Is.InRange(0, mutated.Length));
            }
        }

        TestContext.Out.WriteLine($"{accepted} accepted, {rejected} rejected of {Mutations} mutations (seed {Seed}).");
        Assert.That(disagreements, Is.Empty, string.Join("\n\n", disagreements));
        Assert.That(accepted, Is.GreaterThan(Mutations / 50), "some mutations (in payloads, whitespace) should still parse");
        Assert.That(rejected, Is.GreaterThan(Mutations / 2), "most mutations should be rejected");
    }

    [Test]
    public void TryParse_EveryValidCorpusMessage_IsWellFormedForXmlReaderToo()
    {
        foreach (var (name, xml) in DuisCorpus.ValidMessages())
        {
            Assert.That(IsWellFormed(DuisCorpus.Utf8(xml), out string why), Is.True, name + ": " + why);
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(5))
            {
                case 0: // delete a short run
                    if (at < bytes.Count)
                    {
                        bytes.RemoveRange(at, Math.Min(random.Next(1, 4), bytes.Count - at));
                    }

                    break;
                case 1: // insert from the alphabet
                    bytes.InsertRange(at, s_alphabet[random.Next(s_alphabet.Length)]);
                    break;
                case 2: // replace a byte with an alphabet entry
                    if (at < bytes.Count)
                    {
                        bytes.RemoveAt(at);
                    }

                    bytes.InsertRange(Math.Min(at, bytes.Count), s_alphabet[random.Next(s_alphabet.Length)]);
                    break;
                case 3: // flip a bit
                    if (at < bytes.Count)
                    {
                        bytes[at] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                default: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    private static bool IsWellFormed(byte[] bytes, out string why)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, CheckCharacters = true };
        try
        {
            using var stream = new MemoryStream(bytes);
            using var reader = XmlReader.Create(stream, settings);
            while (reader.Read())
            {
            }

            why = string.Empty;
            return true;
        }
        catch (XmlException exception)
        {
            why = exception.Message;
            return false;
        }
    }

    private static string Show(byte[] bytes) => Encoding.UTF8.GetString(bytes.Length > 3000 ? bytes[..3000] : bytes);
}
