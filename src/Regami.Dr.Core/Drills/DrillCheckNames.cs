namespace Regami.Dr.Core.Drills;

/// <summary>The names of the drill's checks as they appear in reports (scripts and tests find checks by them).</summary>
public static class DrillCheckNames
{
    public const string SmokeHealth = "smoke: health through the public name";
    public const string SmokeWrite = "smoke: write through the public name";
    public const string SmokeReadBack = "smoke: read back";
    public const string SmokePublicNameAnswers = "smoke: public name answers";
    public const string SingleWritablePrimary = "one writable primary";
    public const string TrafficFollowsPrimary = "traffic follows the primary";
    public const string AcknowledgedWritesPresent = "acknowledged writes present on the new primary";
    public const string LostWritesOnOldPrimary = "lost writes confirmed on the old primary";
    public const string RpoGuardRefused = "the RPO guard refused the automatic failover";
    public const string OldPrimaryRowsExplained = "old primary's extra rows are the lost and unacknowledged writes";
    public const string SwitchBack = "switch back";
    public const string Failback = "failback";
    public const string RegionsConsistent = "regions hold the same rows after failback";
    public const string RolesRestored = "roles restored";
    public const string AuditVerifies = "audit trail verifies";
    public const string LossesAfterRecoveryPoint = "every write older than the recovery point is there";
    public const string DeletedRowsBack = "every deleted acknowledged row is back";
    public const string RestoredInstanceGone = "the restored instance was adopted or dropped";
}
