using System.Buffers.Binary;
using DuisPrioritiser;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;

namespace StormSimulator.Simulation;

/// <summary>
/// The real scheduler with the file journal on (<c>.UseFileJournal(dir)</c>) and otherwise <b>default options</b>
/// (the journal's default capacity, 10,000,000, holds the big-supplier backlog): the journal is the backlog, so every
/// release reads its message back from disk. Used for the Default policy when <c>--journal</c> is given.
/// </summary>
/// <remarks>
/// <para>Each message is enqueued as a copy of its trace envelope with a raw body of <see cref="ScenarioOptions.JournalBodyBytes"/>
/// bytes (DUIS responses are 1.6-2.6 KB) whose first four bytes are its trace index, so the released copy, read back
/// from disk, maps to its arrival.</para>
/// <para><b>Virtual time and durable intake.</b> With the journal, accepting is an <c>fsync</c> away (milliseconds of
/// real time), so <see cref="Enqueue"/> starts <c>EnqueueAsync</c> and returns, and the started intakes are awaited
/// together (one group commit) before a release once the oldest has waited <see cref="IntakeBatchTicks"/> of virtual
/// time (250 ms), or at once when the scheduler has nothing else to release, or when 4,096 are outstanding. So an
/// arrival becomes visible to the drain policy at most 250 ms of virtual time after it arrived (its wait is counted
/// from its arrival: the delay only makes this scheduler's figures worse). Awaiting every arrival's <c>fsync</c>
/// separately would take about 45 minutes of real time for the big-supplier scenario's 900,000 arrivals.
/// Acknowledgements are awaited in groups of 4,096.</para>
/// </remarks>
internal sealed class JournalSchedulerQueue : ISimulatedQueue
{
    private const int MaxOutstanding = 4096;
    private static readonly long IntakeBatchTicks = TimeSpan.FromMilliseconds(250).Ticks;
    private readonly TimeProvider _time;
    private DateTimeOffset _oldestIntake;
    private readonly ServiceProvider _provider;
    private readonly ResponseReleaseScheduler _scheduler;
    private readonly ArrivalTrace _trace;
    private readonly ReleasedMessage[] _inFlight;
    private readonly List<Task<bool>> _intakes = new(MaxOutstanding);
    private readonly List<Task> _acks = new(MaxOutstanding);
    private readonly int _bodyBytes;
    private readonly string _directory;

    private JournalSchedulerQueue(string name, ServiceProvider provider, ArrivalTrace trace, int bodyBytes, string directory, TimeProvider time)
    {
        _time = time;
        Name = name;
        _provider = provider;
        _trace = trace;
        _bodyBytes = Math.Max(4, bodyBytes);
        _directory = directory;
        _scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
        _inFlight = new ReleasedMessage[trace.Count];
    }

    public string Name { get; }

    public string? Mode => _scheduler.Mode.ToString();

    /// <summary>Creates the Default-policy scheduler with the journal in a fresh <paramref name="directory"/>.</summary>
    public static JournalSchedulerQueue Create(string name, TimeProvider timeProvider, ArrivalTrace trace, ScenarioOptions scenario, string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        var services = new ServiceCollection();
        services.AddSingleton(timeProvider);
        services.AddResponsePrioritisation().UseFileJournal(directory);
        return new JournalSchedulerQueue(name, services.BuildServiceProvider(validateScopes: true), trace, scenario.JournalBodyBytes, directory, timeProvider);
    }

    public void Enqueue(int index)
    {
        if (_intakes.Count >= MaxOutstanding)
        {
            DrainIntakes();
        }

        if (_intakes.Count == 0)
        {
            _oldestIntake = _time.GetUtcNow();
        }

        var template = _trace.Messages[index];
        var raw = new byte[_bodyBytes];
        BinaryPrimitives.WriteInt32LittleEndian(raw, index);
        raw.AsSpan(4).Fill((byte)'x');
        var message = new DuisMessage(template.Kind, raw)
        {
            ServiceReferenceVariant = template.ServiceReferenceVariant,
            ResponseCode = template.ResponseCode,
            AlertCode = template.AlertCode,
            DccAlertPayloadName = template.DccAlertPayloadName,
            IsDccScheduled = template.IsDccScheduled,
            FutureDatedOutcome = template.FutureDatedOutcome,
            ThrottledAlertCount = template.ThrottledAlertCount,
            ResponseDateTime = template.ResponseDateTime,
            RequestId = template.RequestId,
            ResponseId = template.ResponseId,
            ReceivedAt = template.ReceivedAt,
        };
        _intakes.Add(_scheduler.EnqueueAsync(message).AsTask());
    }

    public bool TryDequeue(out int index)
    {
        if (_intakes.Count > 0 && (_time.GetUtcNow() - _oldestIntake).Ticks >= IntakeBatchTicks)
        {
            DrainIntakes();
        }

        if (_acks.Count >= MaxOutstanding)
        {
            DrainAcks();
        }

        if (!_scheduler.TryDequeue(out var released))
        {
            if (_intakes.Count == 0)
            {
                index = -1;
                return false;
            }

            DrainIntakes();
            if (!_scheduler.TryDequeue(out released))
            {
                index = -1;
                return false;
            }
        }

        index = BinaryPrimitives.ReadInt32LittleEndian(released.Message.RawMessage.Span);
        if (released.Message.RawMessage.Length != _bodyBytes || released.Message.RequestId != _trace.Messages[index].RequestId)
        {
            throw new InvalidOperationException($"{Name}: message {index} came back from the journal with other bytes or fields.");
        }

        _inFlight[index] = released;
        return true;
    }

    public void OnHandled(int index)
    {
        var released = _inFlight[index];
        _inFlight[index] = default;
        var acknowledged = _scheduler.AcknowledgeAsync(released);
        if (!acknowledged.IsCompletedSuccessfully)
        {
            _acks.Add(acknowledged.AsTask());
        }
    }

    public void Dispose()
    {
        DrainIntakes();
        DrainAcks();
        _provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    private void DrainIntakes()
    {
        Task.WhenAll(_intakes).GetAwaiter().GetResult();
        foreach (var intake in _intakes)
        {
            if (!intake.Result)
            {
                throw new InvalidOperationException($"{Name}: the scheduler refused a message ({_scheduler.Count} held).");
            }
        }

        _intakes.Clear();
    }

    private void DrainAcks()
    {
        Task.WhenAll(_acks).GetAwaiter().GetResult();
        _acks.Clear();
    }
}
