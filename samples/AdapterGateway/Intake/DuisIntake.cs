namespace AdapterGateway.Intake;

/// <summary>The log category of the HTTP intake.</summary>
internal sealed class DuisIntake
{
    private DuisIntake()
    {
    }
}
