namespace Regami.Dr.Core.Alarms;

/// <summary>
/// One observation of a metric, e.g. <c>health.eu-west-3</c> = 1 (healthy) or 0 (unhealthy) from one probe,
/// or <c>replication.lagSeconds</c> = 0.4. The names the plan's alarms watch are in <see cref="PlanAlarms"/>.
/// </summary>
/// <param name="Metric">The metric's name; alarms match it exactly (ordinal, case-sensitive).</param>
/// <param name="At">When the value was observed; it falls in the period <c>[start, start + Period)</c> that contains it.</param>
/// <param name="Value">The observed value; NaN and infinities are not datapoints and are skipped.</param>
public sealed record MetricSample(string Metric, DateTimeOffset At, double Value);
