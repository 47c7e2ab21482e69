using Regami.Dr.Core.Status;

namespace Regami.Dr.Core.Drills;

/// <summary>The whole system's status as `regami-dr status` shows it (lab: <c>LabStatusReader</c>). Reads only.</summary>
public interface IStatusReader
{
    Task<SystemStatus> ReadAsync(CancellationToken ct);
}
