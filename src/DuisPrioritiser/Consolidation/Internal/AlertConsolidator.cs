using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Consolidation.Internal;

/// <summary>
/// Consolidation of repeated alerts for an embedded store: at intake, attaches an alert to the held alert of the same
/// device, alert code and level (its group); at release, closes the released head's group and hands out its repeats.
/// </summary>
/// <remarks>
/// <para><b>Maps.</b> <c>_open</c> holds, per (device, code, level), the group that new repeats join: one entry per key
/// with a held alert, not per message. A group that stops accepting repeats (full, past its window) is first registered
/// in <c>_sealed</c> by its head's identity and only then replaced in <c>_open</c> by a new group, so the release of its
/// head always finds it in one map or the other. Returned groups and groups rebuilt at recovery are sealed too.</para>
/// <para><b>Race with release.</b> Attaching and closing take the group's lock (a few instructions, uncontended except
/// for one device's repeats): a repeat that takes the lock after the head's release sees the group closed and starts a
/// new group, so a repeat is never attached to an alert already handed to a reader. A new group is registered before
/// its head is held in the queue, and a reader cannot release a head that is not yet held.</para>
/// <para><b>Cost.</b> Levels that do not consolidate pay one bit test per intake and release. A consolidated alert pays
/// a dictionary lookup (and, as a head, an insert and, at release, a removal) plus its group (about 100 bytes while held).</para>
/// </remarks>
internal sealed class AlertConsolidator
{
    private readonly ConcurrentDictionary<GroupKey, AlertGroup> _open = new();
    private readonly ConcurrentDictionary<GroupHead, AlertGroup> _sealed = new();
    private readonly int _levelMask;
    private readonly int _eligibleMask;
    private readonly FrozenSet<DuisCode>? _codes;
    private readonly long _windowTicks;
    private readonly int _maxGroupSize;
    private int _sealedCount;
    private Dictionary<long, AlertGroup?>? _recovering;

    private AlertConsolidator(ConsolidationOptions options, long timestampFrequency)
    {
        foreach (var level in options.Levels)
        {
            _levelMask |= 1 << (int)level;
        }

        var codes = new HashSet<DuisCode>();
        foreach (var code in options.AlertCodes)
        {
            codes.Add(DuisCode.Parse(code));
        }

        _codes = codes.Count > 0 ? codes.ToFrozenSet() : null;

        // Never Critical or High (validation refuses them in Levels; a listed code classified there is not consolidated).
        int belowHigh = (1 << (int)PriorityLevel.Normal) | (1 << (int)PriorityLevel.Low) | (1 << (int)PriorityLevel.Bulk);
        _levelMask &= belowHigh;
        _eligibleMask = _codes is null ? _levelMask : belowHigh;
        _windowTicks = (long)Math.Min(long.MaxValue / 2d, options.Window.TotalSeconds * timestampFrequency);
        _maxGroupSize = options.MaxGroupSize;
    }

    /// <summary>Gets the number of keys with an open group (for tests).</summary>
    internal int OpenGroupCount => _open.Count;

    /// <summary>Creates the consolidator the options ask for, or <see langword="null"/> when consolidation is off.</summary>
    public static AlertConsolidator? Create(ConsolidationOptions options, long timestampFrequency)
        => options.IsEnabled ? new AlertConsolidator(options, timestampFrequency) : null;

    /// <summary>Gets a value indicating whether messages of <paramref name="level"/> may be consolidated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEligible(int level) => (_eligibleMask & (1 << level)) != 0;

    /// <summary>Gets the journal id of the head that <paramref name="message"/> would join now (recorded with it, so recovery rebuilds the group), or 0.</summary>
    public long PeekHead(int level, DuisMessage message)
        => IsEligible(level) && TryGetKey(level, message, out var key) && _open.TryGetValue(key, out var group) ? group.Head.Token : 0;

    /// <summary>
    /// At intake, after the place is reserved: attaches <paramref name="entry"/> (the accepted <paramref name="message"/>)
    /// to its open group and returns <see langword="true"/>; otherwise registers it as the head of a new group (when
    /// it is consolidated at all) and returns <see langword="false"/>: the caller then holds it in its level as usual.
    /// </summary>
    public bool TryAttach(int level, DuisMessage message, in QueuedEntry entry)
    {
        if (!IsEligible(level) || !TryGetKey(level, message, out var key))
        {
            return false;
        }

        while (true)
        {
            if (!_open.TryGetValue(key, out var group))
            {
                if (_open.TryAdd(key, new AlertGroup(in entry)))
                {
                    return false;
                }

                continue;
            }

            switch (group.TryAdd(in entry, _windowTicks, _maxGroupSize))
            {
                case AlertGroup.AddResult.Attached:
                    return true;
                case AlertGroup.AddResult.SealedNow:
                    // Findable by its head before it leaves _open (see the type remarks).
                    AddSealed(group.Head, group);
                    break;
            }

            if (_open.TryUpdate(key, new AlertGroup(in entry), group))
            {
                return false;
            }
        }
    }

    /// <summary>
    /// At release of <paramref name="entry"/> (its message read back): closes the group it heads and returns its repeats'
    /// entries, or <see langword="null"/> when it heads none or has no repeats.
    /// </summary>
    public QueuedEntry[]? TakeRepeats(int level, in QueuedEntry entry)
    {
        if (!IsEligible(level))
        {
            return null;
        }

        if (entry.Message is { } message && TryGetKey(level, message, out var key) && _open.TryGetValue(key, out var group) && group.IsHead(in entry))
        {
            var repeats = group.Close(out bool wasSealed);
            _open.TryRemove(new KeyValuePair<GroupKey, AlertGroup>(key, group));
            if (wasSealed)
            {
                RemoveSealed(group.Head);
            }

            return repeats;
        }

        if (Volatile.Read(ref _sealedCount) > 0 && RemoveSealed(GroupHead.Of(in entry)) is { } held)
        {
            return held.Close(out _);
        }

        return null;
    }

    /// <summary>
    /// The repeats of a head whose message cannot be read back (so its key is unknown): found by its identity among the
    /// sealed groups, else by a scan of the open ones (a rare failure path), closed, and returned to be held on their own.
    /// </summary>
    public QueuedEntry[] DetachRepeats(int level, in QueuedEntry head)
    {
        if (RemoveSealed(GroupHead.Of(in head)) is { } held)
        {
            return held.Close(out _) ?? [];
        }

        foreach (var (key, group) in _open)
        {
            if (key.Level == level && group.IsHead(in head))
            {
                var repeats = group.Close(out bool wasSealed);
                _open.TryRemove(new KeyValuePair<GroupKey, AlertGroup>(key, group));
                if (wasSealed)
                {
                    RemoveSealed(group.Head);
                }

                return repeats ?? [];
            }
        }

        return [];
    }

    /// <summary>Keeps the repeats of a returned group with its head, which is held again: released together next time.</summary>
    public void Park(in QueuedEntry head, QueuedEntry[] repeats) => AddSealed(GroupHead.Of(in head), new AlertGroup(GroupHead.Of(in head), repeats));

    /// <summary>Starts rebuilding groups from the journal: recovered messages are given, in id order, to <see cref="TryAttachRecovered"/>.</summary>
    public void BeginRecovery() => _recovering = [];

    /// <summary>Stops rebuilding groups.</summary>
    public void EndRecovery() => _recovering = null;

    /// <summary>
    /// At recovery: attaches a recovered message whose record names the head it joined (<paramref name="groupHead"/>),
    /// when that head (or the group it joined) was recovered too; <see langword="false"/> to hold it on its own.
    /// Recovered groups take no new repeats (their device is on disk, not read at recovery).
    /// </summary>
    public bool TryAttachRecovered(int level, in QueuedEntry entry, long groupHead)
    {
        var recovering = _recovering;
        if (recovering is null || !IsEligible(level) || entry.Token <= 0)
        {
            return false;
        }

        if (groupHead > 0 && recovering.TryGetValue(groupHead, out var group))
        {
            if (group is null)
            {
                var head = new GroupHead(groupHead, null);
                group = new AlertGroup(head, null);
                recovering[groupHead] = group;
                AddSealed(head, group);
            }

            group.AddRecovered(in entry);
            recovering[entry.Token] = group;
            return true;
        }

        recovering[entry.Token] = null;
        return false;
    }

    private bool TryGetKey(int level, DuisMessage message, out GroupKey key)
    {
        key = default;
        if (!message.IsAlert
            || ((_levelMask & (1 << level)) == 0 && (_codes is null || !_codes.Contains(message.AlertCode)))
            || message.Device is not { } device)
        {
            return false;
        }

        key = new GroupKey(device.Value, message.AlertCode, level);
        return true;
    }

    private void AddSealed(GroupHead head, AlertGroup group)
    {
        if (_sealed.TryAdd(head, group))
        {
            Interlocked.Increment(ref _sealedCount);
        }
    }

    private AlertGroup? RemoveSealed(GroupHead head)
    {
        if (_sealed.TryRemove(head, out var group))
        {
            Interlocked.Decrement(ref _sealedCount);
            return group;
        }

        return null;
    }

    private readonly record struct GroupKey(ulong Device, DuisCode Code, int Level);
}
