namespace DuisPrioritiser.Release.Internal;

/// <summary>A scheduler that forwards to another (tests' counting decorators): the release loop looks through it for the built-in scheduler's downtime record and journal.</summary>
internal interface ISchedulerDecorator
{
    IResponseReleaseScheduler Inner { get; }
}
