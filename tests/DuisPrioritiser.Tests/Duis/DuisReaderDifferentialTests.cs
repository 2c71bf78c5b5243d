using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>
/// A seeded property-based differential test (CsCheck): generated DUIS messages, rendered with XML-preserving sender
/// variations, adversarial XML edges and byte-level mutations, are read by <see cref="DuisMessage.TryParse(ReadOnlyMemory{byte}, out DuisMessage?, out DuisParseError)"/>
/// and by <see cref="DuisReaderDifferentialOracle"/> (a secure XmlReader applying the DUIS rules). They must agree
/// on the verdict and on every extracted field; the only disagreements allowed are the documented rules listed in
/// <see cref="s_explained"/> (see docs/duis-reader.md, "Rules and limits"), and each is counted and printed.
/// </summary>
/// <remarks>Bounded in count (a few thousand messages a test) and in time (every message must be read in well under
/// a second); the counts are printed to the test output.</remarks>
[Category("Stress")]
public class DuisReaderDifferentialTests
{
    private const uint Stream = 16;
    private const ulong Seed = 20261201;
    private const int VariationCount = 6_000;
    private const int EdgeCount = 6_000;
    private const int MutationCount = 8_000;
    private static readonly TimeSpan s_perMessageBound = TimeSpan.FromSeconds(2);

    /// <summary>The documented rules under which the reader may disagree with the oracle (by rule name).</summary>
    private static readonly (string Rule, Func<Outcome, bool> Explains)[] s_explained =
    [
        // XML 1.0 5th edition names (the requirement, docs/duis-reader.md rule N1): .NET's XmlReader still
        // checks names against the 4th edition character classes (Appendix B, Unicode 2.0), so it rejects name
        // characters the 5th edition allows (U+037F, U+2070, U+200C, U+F900, U+FFFD, supplementary planes, ...).
        ("N1 names: a 5th-edition name character that XmlReader's 4th-edition classes reject", o =>
            o.Ours.Accepted && o.Oracle.XmlRejected && IsFifthEditionNameCharacterRejectedByXmlReader(o)),

        // XML 1.0 5th edition, 2.8: a 1.0 processor may read a document labelled 1.x (rule D1); XmlReader only 1.0.
        ("D1 declaration: version 1.x, which XmlReader refuses", o =>
            o.Ours.Accepted && o.Oracle.XmlRejected && o.Oracle.XmlError!.StartsWith("Version number '1.", StringComparison.Ordinal)),
    ];

    // ----- Generators -----

    private static readonly Gen<string> s_hexByte = Gen.Int[0, 255].Select(i => i.ToString("X2", CultureInfo.InvariantCulture));

    private static readonly Gen<string> s_eui = s_hexByte.Array[8].Select(a => string.Join('-', a));

    private static readonly Gen<string> s_id = Gen.Select(s_eui, s_eui, Gen.ULong[0, 99_999_999_999_999], (a, b, n) => $"{a}:{b}:{n.ToString(CultureInfo.InvariantCulture)}");

    private static readonly Gen<string> s_dateTime = Gen.Select(
        Gen.Int[2000, 2099], Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 23], Gen.Int[0, 59], Gen.Int[0, 59],
        Gen.Int[0, 9].Array[0, 9], Gen.Int[0, 3],
        (y, mo, d, h, mi, s, fraction, zone) => string.Create(CultureInfo.InvariantCulture, $"{y:D4}-{mo:D2}-{d:D2}T{h:D2}:{mi:D2}:{s:D2}")
            + (fraction.Length == 0 ? "" : "." + string.Concat(fraction))
            + zone switch { 0 => "Z", 1 => "+01:00", 2 => "-05:30", _ => "Z" });

    private static readonly Gen<string> s_hexCode = Gen.Select(Gen.Int[1, 8], Gen.Int[0, 15].Array[8], Gen.Bool, (n, digits, lower) =>
    {
        string code = string.Concat(digits.Take(n).Select(d => d.ToString("X", CultureInfo.InvariantCulture)));
        return lower ? code.ToLowerInvariant() : code;
    });

    private static readonly string[] s_srvs = [.. DuisCatalogue.All.Select(e => e.Srv.ToString()), "99.1", "4.99.1"];

    private static readonly Gen<string?> s_throttled = Gen.Frequency(
        (3, Gen.Const((string?)null)),
        (2, Gen.UInt.Select(u => (string?)u.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Select(Gen.UInt[0, 1000], Gen.Int[0, 6], Gen.Bool, (u, zeros, plus) => (string?)((plus ? "+" : "") + new string('0', zeros) + u.ToString(CultureInfo.InvariantCulture)))));

    private static readonly Gen<DuisMessageSpec> s_spec = Gen.Select(
        Gen.Int[0, 3],
        Gen.OneOf(s_srvs),
        Gen.OneOf("I0", "I99", "E65", "E20", "W2", "e65", "i0"),
        Gen.Select(s_id, s_id, Gen.Int[0, 3], (req, resp, which) => (which == 1 ? null : req, which == 2 ? null : resp)),
        s_dateTime,
        Gen.Select(Gen.Int[0, 4], s_hexCode, Gen.OneOf("8F66", "8F67", "8f66"), (p, c, f) => (p, c, f)),
        Gen.Select(Gen.OneOf("AD1", "N1", "N24", "N42", "N999", "n12"), Gen.OneOf("PowerOutageEvent", "UpdateHANDeviceLogResult", "CommandFailure", "ChangeOfSupplier"), (c, p) => (c, p)),
        s_throttled,
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool, (a, b, c) => (a, b, c)),
        Gen.Int[0, 255].Array[96],
        (kind, srv, code, ids, time, response, dcc, throttled, smets1, choices) => new DuisMessageSpec(
            kind, srv, code, ids.Item1, ids.Item2, time, response.p, response.c, response.f, dcc.c, dcc.p, throttled, smets1.a, smets1.b, smets1.c, choices));

    private static readonly Gen<(DuisMessageSpec Spec, int Edge, int Detail)> s_edge = Gen.Select(s_spec, Gen.Int[0, EdgeKinds - 1], Gen.Int[0, int.MaxValue]);

    private static readonly Gen<(DuisMessageSpec Spec, int[] Operations)> s_mutation = Gen.Select(s_spec, Gen.Int[0, int.MaxValue].Array[1, 8]);

    private const int EdgeKinds = 9;

    // ----- The properties -----

    [Test]
    public void Variations_AgreeWithXmlReaderOnVerdictAndEveryField()
    {
        var tally = new Tally("variations");
        Run(s_spec, VariationCount, spec => tally.Compare(DuisMessageRenderer.Render(spec), requireAcceptance: true));
        tally.AssertAndReport();
    }

    [Test]
    public void XmlEdges_AgreeWithXmlReaderOnVerdictAndEveryField()
    {
        var tally = new Tally("XML edges");
        Run(s_edge, EdgeCount, t => tally.Compare(DuisMessageRenderer.WithEdge(DuisMessageRenderer.Render(t.Spec), t.Edge, t.Detail), requireAcceptance: false));
        tally.AssertAndReport();
    }

    [Test]
    public void ByteMutations_NeverThrow_AreBounded_AndRejectWheneverXmlReaderRejects()
    {
        var tally = new Tally("byte mutations");
        Run(s_mutation, MutationCount, t => tally.Compare(DuisMessageRenderer.Mutate(DuisMessageRenderer.Render(t.Spec), t.Operations), requireAcceptance: false));
        tally.AssertAndReport();
    }

    /// <summary>Draws <paramref name="count"/> values from one fixed PCG stream and seed, so every run (and CI) reads the
    /// very same messages and the counts in the report are reproducible.</summary>
    private static void Run<T>(Gen<T> gen, int count, Action<T> check)
    {
        var pcg = new PCG(Stream, Seed);
        for (int i = 0; i < count; i++)
        {
            check(gen.Generate(pcg, null, out _));
        }
    }

    private static bool IsFifthEditionNameCharacterRejectedByXmlReader(Outcome o)
    {
        string error = o.Oracle.XmlError!;
        var hex = System.Text.RegularExpressions.Regex.Match(error, "hexadecimal value 0x(?<v>[0-9A-Fa-f]+)");
        if (hex.Success && (error.Contains("cannot be included in a name", StringComparison.Ordinal) || error.Contains("Name cannot begin with", StringComparison.Ordinal)))
        {
            int c = int.Parse(hex.Groups["v"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return error.Contains("begin", StringComparison.Ordinal) ? DuisReader.IsNameStartChar(c) : DuisReader.IsNameCharacter(c);
        }

        // A supplementary-plane character (a surrogate pair in .NET's UTF-16) inside markup.
        return HasSupplementaryNameCharacter(o.Input);
    }

    private static bool HasSupplementaryNameCharacter(byte[] input)
    {
        // A 4-byte UTF-8 sequence (F0..F4 lead) somewhere in markup is enough to suspect a supplementary name character.
        string text = Encoding.UTF8.GetString(input);
        for (int i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                int lt = text.LastIndexOf('<', i);
                int gt = text.LastIndexOf('>', i);
                if (lt > gt)
                {
                    return true;
                }
            }
        }

        return false;
    }

    internal sealed record Outcome(byte[] Input, bool OursAcceptedFlag, DuisParseError Error, ExtractedFields? OursFields, OracleVerdict Oracle)
    {
        public (bool Accepted, ExtractedFields? Fields) Ours => (OursAcceptedFlag, OursFields);
    }

    private sealed class Tally(string name)
    {
        private readonly ConcurrentDictionary<string, int> _explained = new();
        private readonly List<string> _unexplained = [];
        private int _messages;
        private int _agreements;
        private int _bothAccepted;
        private int _bothRejected;
        private TimeSpan _slowest;

        public void Compare(byte[] input, bool requireAcceptance)
        {
            _messages++;
            var stopwatch = Stopwatch.StartNew();
            bool ok;
            DuisMessage? message;
            DuisParseError error;
            try
            {
                ok = DuisMessage.TryParse(input, out message, out error);
            }
            catch (Exception e)
            {
                Record("EXCEPTION " + e.GetType().Name + ": " + e.Message, input);
                return;
            }

            var elapsed = stopwatch.Elapsed;
            if (elapsed > _slowest)
            {
                _slowest = elapsed;
            }

            if (elapsed > s_perMessageBound)
            {
                Record($"SLOW: {elapsed.TotalMilliseconds:F0} ms", input);
            }

            var oracle = DuisReaderDifferentialOracle.Read(input);
            var ours = ok ? ExtractedFields.From(message!) : null;
            var outcome = new Outcome(input, ok, error, ours, oracle);
            bool agree = ok == oracle.Accepted && (!ok || ours == oracle.Fields);
            if (requireAcceptance && !oracle.Accepted)
            {
                Record("GENERATOR: the oracle rejected a generated valid message: " + (oracle.XmlError ?? oracle.DuisRejected), input);
                return;
            }

            if (agree)
            {
                _agreements++;
                if (ok)
                {
                    _bothAccepted++;
                }
                else
                {
                    _bothRejected++;
                }

                return;
            }

            foreach (var (rule, explains) in s_explained)
            {
                if (explains(outcome))
                {
                    _explained.AddOrUpdate(rule, 1, (_, n) => n + 1);
                    return;
                }
            }

            Record(
                ok
                    ? $"ours accepted; oracle: {(oracle.Accepted ? DuisReaderDifferentialOracle.Diff(ours!, oracle.Fields!) : oracle.XmlError ?? oracle.DuisRejected)}"
                    : $"ours rejected ({error.Code}: {error.Message}); oracle accepted {DuisReaderDifferentialOracle.Describe(oracle.Fields)}",
                input);
        }

        public void AssertAndReport()
        {
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"{name}: {_messages} messages, {_agreements} agreements ({_bothAccepted} both accepted, {_bothRejected} both rejected), slowest read {_slowest.TotalMilliseconds:F2} ms");
            foreach (var (rule, count) in _explained.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  explained disagreement x{count}: {rule}");
            }

            report.AppendLine(CultureInfo.InvariantCulture, $"  unexplained disagreements: {_unexplained.Count}");
            foreach (var group in _unexplained.GroupBy(u => u[..Math.Min(u.IndexOf('\n', StringComparison.Ordinal), 90)], StringComparer.Ordinal).OrderByDescending(g => g.Count()).Take(20))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"  - x{group.Count()} {group.First()}");
            }

            TestContext.Out.WriteLine(report.ToString());
            Assert.That(_messages, Is.GreaterThan(0));
            Assert.That(_unexplained, Is.Empty, report.ToString());
        }

        private void Record(string what, byte[] input)
        {
            string text = Encoding.UTF8.GetString(input);
            _unexplained.Add(what + "\n      input: " + (text.Length > 1500 ? text[..1500] + "..." : text).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal));
        }
    }
}
