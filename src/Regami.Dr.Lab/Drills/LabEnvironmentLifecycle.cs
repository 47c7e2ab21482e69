using Regami.Dr.Core.Drills;
using Regami.Dr.Lab.Processes;

namespace Regami.Dr.Lab.Drills;

/// <summary>The lab brought up and down for a drill by its <see cref="LabSupervisor"/>.</summary>
public sealed class LabEnvironmentLifecycle(LabEnvironment env) : IEnvironmentLifecycle
{
    public Task<EnvironmentState> ProbeAsync(CancellationToken ct)
    {
        var state = env.Store.Load();
        // The DNS server is the last part `lab up` starts and `lab down` forgets: while it is recorded, the lab was meant to be up.
        return Task.FromResult(new EnvironmentState(
            IsUp: state?.Dns is { } dns && Posix.IsAlive(dns.Pid),
            WasStopped: state?.Dns is null,
            ControllerRunning: state?.Controller is { } controller && Posix.IsAlive(controller.Pid)));
    }

    public async Task EnsureUpAsync(ControllerRequirement controller, Action<string>? report, CancellationToken ct) =>
        await new LabSupervisor(env, report).UpAsync(null, ct, withController: controller == ControllerRequirement.Required ? true : null);

    public async Task DownAsync(CancellationToken ct) => await new LabSupervisor(env).DownAsync(purge: false, ct);
}
