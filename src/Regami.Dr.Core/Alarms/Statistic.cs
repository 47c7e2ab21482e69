namespace Regami.Dr.Core.Alarms;

/// <summary>How the samples of one period are reduced to the period's datapoint, as in CloudWatch.</summary>
/// <remarks>A period without samples has no datapoint (it is missing), even for <see cref="SampleCount"/> and <see cref="Sum"/>.</remarks>
public enum Statistic
{
    Minimum,
    Maximum,
    Average,
    Sum,
    SampleCount,
}
