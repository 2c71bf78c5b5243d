namespace DuisPrioritiser.Diagnostics;

/// <summary>What the observable gauges read from the scheduler when a collector asks.</summary>
internal interface ISchedulerGauges
{
    long GetDepth(int level);

    long GetDeferred();

    TimeSpan GetOldestWait(int level);

    long GetInFlight();

    int GetRecoveryMode();
}
