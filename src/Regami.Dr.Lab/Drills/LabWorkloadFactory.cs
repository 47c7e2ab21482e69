using Regami.Dr.Core.Drills;
using Regami.Dr.Lab.Workload;

namespace Regami.Dr.Lab.Drills;

/// <summary>The drill's workload on the lab: a <see cref="PublicNameWorkload"/> through the lab's DNS and load balancers.</summary>
public sealed class LabWorkloadFactory(LabEnvironment env) : IDrillWorkloadFactory
{
    public string PublicName => env.Options.Dns.FullName;

    public IDrillWorkload Create(double ratePerSecond, long firstSeq) =>
        new PublicNameWorkload(WorkloadOptions.ForLab(env.Options) with { RatePerSecond = ratePerSecond, FirstSeq = firstSeq }, env.Time);
}
