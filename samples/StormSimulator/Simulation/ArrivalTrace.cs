using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace StormSimulator.Simulation;

/// <summary>
/// One arrival trace, shared by every policy: the outage backlog at t = 0 followed by Poisson arrivals, each a DUIS
/// envelope with its arrival time (ticks from the start) and the level the classifier gives it.
/// </summary>
internal sealed class ArrivalTrace
{
    /// <summary>The virtual time t = 0.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<DuisMessage, int> _indexOf;

    /// <summary>Initialises a trace from explicit arrivals (sorted by time), for tests and custom scenarios.</summary>
    /// <param name="arrivalTicks">Arrival times in ticks from <see cref="Start"/>, non-decreasing.</param>
    /// <param name="messages">The envelopes, one per arrival.</param>
    /// <param name="classifier">The classifier that decides each message's level.</param>
    /// <param name="backlogCount">How many of the first arrivals form the outage backlog.</param>
    /// <exception cref="ArgumentException">The arrays differ in length, times decrease, or a message repeats.</exception>
    public ArrivalTrace(long[] arrivalTicks, DuisMessage[] messages, IPriorityClassifier classifier, int backlogCount)
    {
        ArgumentNullException.ThrowIfNull(arrivalTicks);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(classifier);
        if (arrivalTicks.Length != messages.Length)
        {
            throw new ArgumentException("Give one arrival time per message.", nameof(messages));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(backlogCount, messages.Length);
        ArrivalTicks = arrivalTicks;
        Messages = messages;
        BacklogCount = backlogCount;
        Levels = new byte[messages.Length];
        _indexOf = new Dictionary<DuisMessage, int>(messages.Length, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < messages.Length; i++)
        {
            if (i > 0 && arrivalTicks[i] < arrivalTicks[i - 1])
            {
                throw new ArgumentException("Arrival times must not decrease.", nameof(arrivalTicks));
            }

            if (!_indexOf.TryAdd(messages[i], i))
            {
                throw new ArgumentException($"Message {i} appears twice: give each arrival its own envelope.", nameof(messages));
            }

            Levels[i] = (byte)classifier.Classify(messages[i]);
        }
    }

    /// <summary>Gets the arrival times, in ticks from <see cref="Start"/>.</summary>
    public long[] ArrivalTicks { get; }

    /// <summary>Gets the envelopes.</summary>
    public DuisMessage[] Messages { get; }

    /// <summary>Gets each message's level, as the classifier decides it (for the policies that do not classify themselves, and the ideal).</summary>
    public byte[] Levels { get; }

    /// <summary>Gets how many of the first messages are the outage backlog.</summary>
    public int BacklogCount { get; }

    /// <summary>Gets the number of messages.</summary>
    public int Count => Messages.Length;

    /// <summary>Generates the trace of <paramref name="options"/>.</summary>
    /// <param name="options">The scenario.</param>
    /// <param name="classifier">The classifier.</param>
    /// <returns>The trace.</returns>
    public static ArrivalTrace Generate(ScenarioOptions options, IPriorityClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        var kinds = options.Mix.Kinds;
        var cumulative = new double[kinds.Count];
        double sum = 0;
        for (int i = 0; i < kinds.Count; i++)
        {
            sum += kinds[i].Probability;
            cumulative[i] = sum;
        }

        int expected = options.BacklogCount + (int)Math.Min(int.MaxValue / 2, options.NormalRate * options.DurationSeconds * 1.01 + 16);
        var ticks = new List<long>(expected);
        var messages = new List<DuisMessage>(expected);
        for (int i = 0; i < options.BacklogCount; i++)
        {
            ticks.Add(0);
            messages.Add(Draw(random, kinds, cumulative, sum, Start));
        }

        if (options.NormalRate > 0)
        {
            double t = 0;
            while (true)
            {
                t += -Math.Log(1 - random.NextDouble()) / options.NormalRate;
                if (t >= options.DurationSeconds)
                {
                    break;
                }

                long at = (long)Math.Round(t * TimeSpan.TicksPerSecond);
                ticks.Add(at);
                messages.Add(Draw(random, kinds, cumulative, sum, Start.AddTicks(at)));
            }
        }

        return new ArrivalTrace([.. ticks], [.. messages], classifier, options.BacklogCount);
    }

    /// <summary>Gets the index of <paramref name="message"/> in the trace.</summary>
    /// <param name="message">A message of this trace.</param>
    /// <returns>Its index.</returns>
    /// <exception cref="KeyNotFoundException">The message is not from this trace.</exception>
    public int IndexOf(DuisMessage message) => _indexOf[message];

    /// <summary>Counts the messages per level.</summary>
    /// <returns>The counts, highest level first.</returns>
    public long[] CountByLevel()
    {
        var counts = new long[PriorityLevels.Count];
        foreach (byte level in Levels)
        {
            counts[level]++;
        }

        return counts;
    }

    private static DuisMessage Draw(Random random, IReadOnlyList<MixKind> kinds, double[] cumulative, double sum, DateTimeOffset at)
    {
        double u = random.NextDouble() * sum;
        int index = Array.BinarySearch(cumulative, u);
        index = index < 0 ? ~index : index;
        return kinds[Math.Min(index, kinds.Count - 1)].Create(random, at);
    }
}
