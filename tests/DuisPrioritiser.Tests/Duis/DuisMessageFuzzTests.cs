using System.Diagnostics;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Tests.Duis;

/// <summary>
/// Hostile input: a seeded fuzzer over <see cref="DuisMessage.TryParse(ReadOnlyMemory{byte}, out DuisMessage?, out DuisParseError)"/>
/// with 1,000,000 inputs, half random bytes and half mutations of valid messages. No exception may escape, no input
/// may take long, and memory must stay flat.
/// </summary>
[Category("Stress")]
public class DuisMessageFuzzTests
{
    private const int Seed = 20_260_606;
    private const int Inputs = 1_000_000;

    private static readonly byte[][] s_tokens =
    [
        "<"u8.ToArray(), ">"u8.ToArray(), "</"u8.ToArray(), "/>"u8.ToArray(), "&"u8.ToArray(), "&amp;"u8.ToArray(), "&#x0;"u8.ToArray(),
        "<![CDATA["u8.ToArray(), "]]>"u8.ToArray(), "<!--"u8.ToArray(), "-->"u8.ToArray(), "<?xml version=\"1.0\"?>"u8.ToArray(),
        "<!DOCTYPE r [<!ENTITY x \"y\">]>"u8.ToArray(), "&x;"u8.ToArray(), "xmlns:sr=\"\""u8.ToArray(), "\""u8.ToArray(), "="u8.ToArray(),
        [0xEF, 0xBB, 0xBF], [0xC3], [0xFF, 0xFE], [0xF0, 0x9F, 0x98], [0],
    ];

    [Test]
    public void TryParse_MillionSeededHostileInputs_NeverThrowsStaysFastAndFlat()
    {
        var corpus = DuisCorpus.ValidMessages().Select(m => DuisCorpus.Utf8(m.Xml)).Where(b => b.Length < 20_000).ToArray();
        Assert.That(corpus, Is.Not.Empty);
        var random = new Random(Seed);
        var buffer = new byte[64 * 1024];

        // Warm up (JIT), then measure memory with everything the loop needs already allocated.
        for (int i = 0; i < 2000; i++)
        {
            Assert.That(DuisMessage.TryParse(corpus[i % corpus.Length], out _, out _), Is.True);
        }

        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        long maxTicks = 0;
        int parsed = 0;
        var slow = new List<byte[]>();
        long suspectTicks = Stopwatch.Frequency / 20;
        var failures = new List<string>();
        var watch = Stopwatch.StartNew();
        for (int n = 0; n < Inputs; n++)
        {
            int length = (n & 1) == 0 ? RandomBytes(random, buffer) : Mutate(corpus[random.Next(corpus.Length)], random, buffer);
            var input = new ReadOnlyMemory<byte>(buffer, 0, length);
            long start = Stopwatch.GetTimestamp();
            try
            {
                if (DuisMessage.TryParse(input, out _, out _))
                {
                    parsed++;
                }
            }
            catch (Exception ex)
            {
                if (failures.Count < 5)
                {
                    failures.Add($"input {n} ({length} bytes, seed {Seed}): {ex.GetType().Name}: {ex.Message} :: {Convert.ToBase64String(buffer, 0, Math.Min(length, 2000))}");
                }
            }

            long ticks = Stopwatch.GetTimestamp() - start;
            if (ticks > suspectTicks && slow.Count < 20)
            {
                slow.Add(input.ToArray());
            }
        }

        watch.Stop();

        // A wall-clock time per input is only a suspicion on a shared machine (the thread can be descheduled or a GC
        // can pause it), so every input that looked slow is timed again, best of three: a pathological input is slow
        // every time, a preempted one is not.
        foreach (var input in slow)
        {
            long best = long.MaxValue;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long start = Stopwatch.GetTimestamp();
                _ = DuisMessage.TryParse(input, out _, out _);
                best = Math.Min(best, Stopwatch.GetTimestamp() - start);
            }

            maxTicks = Math.Max(maxTicks, best);
        }

        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var maxPerInput = TimeSpan.FromSeconds((double)maxTicks / Stopwatch.Frequency);
        TestContext.Out.WriteLine(
            $"Fuzzed {Inputs:N0} inputs (seed {Seed}) in {watch.Elapsed.TotalSeconds:F1} s: {parsed:N0} parsed as DUIS, {slow.Count} re-timed, max {maxPerInput.TotalMilliseconds:F2} ms per input (best of three), " +
            $"memory {memoryBefore / 1024} KiB before, {memoryAfter / 1024} KiB after.");
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty, "An exception escaped TryParse.");
            Assert.That(maxPerInput, Is.LessThan(TimeSpan.FromMilliseconds(250)), "One input took too long every time it was read.");
            Assert.That(memoryAfter - memoryBefore, Is.LessThan(8 * 1024 * 1024), "Memory grew across the run.");
            Assert.That(parsed, Is.GreaterThan(0), "No mutation stayed valid: the mutator is too destructive to test the parser's deep paths.");
        });
    }

    private static int RandomBytes(Random random, byte[] buffer)
    {
        int length = random.Next(0, 600);
        var span = buffer.AsSpan(0, length);
        if (random.Next(4) == 0)
        {
            // Mostly printable, XML-ish noise reaches further into the reader than uniform bytes.
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (byte)"<>/=\"' :srResponseHeaderBody&;#x0123456789abcdefABCDEF\n"[random.Next(55)];
            }
        }
        else
        {
            random.NextBytes(span);
        }

        return length;
    }

    private static int Mutate(byte[] original, Random random, byte[] buffer)
    {
        original.CopyTo(buffer, 0);
        int length = original.Length;
        int edits = random.Next(1, 9);
        for (int e = 0; e < edits && length > 0; e++)
        {
            int at = random.Next(length);
            switch (random.Next(7))
            {
                case 0: // flip bits
                    buffer[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // random byte
                    buffer[at] = (byte)random.Next(256);
                    break;
                case 2: // delete a range
                    int count = Math.Min(random.Next(1, 64), length - at);
                    Array.Copy(buffer, at + count, buffer, at, length - at - count);
                    length -= count;
                    break;
                case 3: // duplicate a range
                    int size = Math.Min(Math.Min(random.Next(1, 128), length - at), buffer.Length - length);
                    Array.Copy(buffer, at, buffer, at + size, length - at);
                    length += size;
                    break;
                case 4: // truncate
                    length = at;
                    break;
                default: // insert an XML token
                    var token = s_tokens[random.Next(s_tokens.Length)];
                    if (length + token.Length <= buffer.Length)
                    {
                        Array.Copy(buffer, at, buffer, at + token.Length, length - at);
                        token.CopyTo(buffer, at);
                        length += token.Length;
                    }

                    break;
            }
        }

        return length;
    }
}
