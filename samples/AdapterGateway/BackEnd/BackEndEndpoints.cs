namespace AdapterGateway.BackEnd;

/// <summary>Demo endpoints for the simulated back-end. A real gateway has none of these.</summary>
internal static class BackEndEndpoints
{
    /// <summary><c>GET /processed</c>: the most recently processed messages, in the order the back-end received them.</summary>
    public static IResult GetProcessed(BackEndControl backEnd) => Results.Ok(backEnd.GetRecent());

    /// <summary><c>POST /backend/pause</c>: the back-end stops answering; released messages wait for it.</summary>
    public static IResult Pause(BackEndControl backEnd)
    {
        backEnd.Pause();
        return Results.Ok(new BackEndStatus(backEnd.IsPaused, backEnd.ProcessedCount));
    }

    /// <summary><c>POST /backend/resume</c>: the back-end answers again.</summary>
    public static IResult Resume(BackEndControl backEnd)
    {
        backEnd.Resume();
        return Results.Ok(new BackEndStatus(backEnd.IsPaused, backEnd.ProcessedCount));
    }
}
