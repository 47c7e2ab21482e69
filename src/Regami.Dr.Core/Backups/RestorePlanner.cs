namespace Regami.Dr.Core.Backups;

/// <summary>A restore request that cannot be carried out as asked; the message says why and what would work. Exit code 2.</summary>
public sealed class RestoreRequestException(string message) : Exception(message);

/// <summary>What a restore will do: which copy of which backup, into which region, up to which instant.</summary>
/// <param name="ToTime">For a point-in-time restore: replay WAL up to this instant (inclusive); null restores the backup's consistent point.</param>
/// <param name="Latest">Replay every archived WAL segment after the backup (the newest recoverable point); <paramref name="ToTime"/> is then null.</param>
public sealed record RestorePlan(string Name, string Region, BackupRecord Backup, BackupCopy Copy, DateTimeOffset? ToTime, bool Latest = false)
{
    /// <summary>What the instance is restored to, for people: <c>snapshot ID</c>, <c>time T</c> or <c>latest (ID + all archived WAL)</c>.</summary>
    public string Source => ToTime is { } t ? $"time {t:yyyy-MM-ddTHH:mm:ss.fffZ}" : Latest ? $"latest ({Backup.Id} + all archived WAL)" : $"snapshot {Backup.Id}";
}

/// <summary>
/// Checks a restore request against the backups and the recoverable window, before anything is
/// touched, and picks the copy to restore. Pure.
/// </summary>
public static class RestorePlanner
{
    public static bool IsInstanceName(string name) =>
        name.Length is > 0 and <= 40 && name[0] is >= 'a' and <= 'z' && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    /// <param name="regions">The environment's regions; the first of <paramref name="preferred"/> that holds a copy is used.</param>
    public static RestorePlan Plan(RestoreRequest request, IReadOnlyList<BackupRecord> backups, RecoveryWindow? window, DateTimeOffset now,
        IReadOnlyCollection<string> existingNames, IReadOnlyList<string> regions, string defaultRegion)
    {
        if (!IsInstanceName(request.Name))
            throw new RestoreRequestException($"--as '{request.Name}' is not an instance name: a lower-case letter, then letters, digits and '-' (at most 40)");
        if (existingNames.Contains(request.Name))
            throw new RestoreRequestException($"a restored instance named '{request.Name}' exists; choose another --as, or `regami-dr restore drop {request.Name}` first");
        var region = request.Region ?? defaultRegion;
        if (!regions.Contains(region))
            throw new RestoreRequestException($"unknown region '{region}'; regions: {string.Join(", ", regions)}");
        if ((request.SnapshotId is not null ? 1 : 0) + (request.ToTime is not null ? 1 : 0) + (request.Latest ? 1 : 0) != 1)
            throw new RestoreRequestException("give exactly one of --snapshot ID, --to-time T and --latest");
        if (backups.Count == 0)
            throw new RestoreRequestException("there is no backup to restore from; take one with `regami-dr backup create`");
        // The region's own repository first (a restore reads locally), then the others.
        var order = new[] { region }.Concat(regions.Where(r => r != region)).ToList();

        if (request.SnapshotId is { } id)
        {
            var backup = backups.FirstOrDefault(b => b.Id == id) ?? backups.FirstOrDefault(b => b.Copies.Any(c => c.Label == id))
                ?? throw new RestoreRequestException(UnknownBackup(id, backups.Select(b => b.Id)));
            var copy = order.Select(backup.CopyIn).FirstOrDefault(c => c is not null)!;
            return new RestorePlan(request.Name, region, backup, copy, null);
        }

        if (request.Latest)
        {
            // The newest copy, the region's own repository first: every archived segment after it is replayed.
            foreach (var r in order)
            {
                var newest = backups.Select(b => (Backup: b, Copy: b.CopyIn(r))).Where(x => x.Copy is not null).OrderByDescending(x => x.Copy!.FinishedAt).FirstOrDefault();
                if (newest.Backup is not null) return new RestorePlan(request.Name, region, newest.Backup, newest.Copy!, null, Latest: true);
            }
        }

        var t = request.ToTime!.Value.ToUniversalTime();
        if (t > now)
            throw new RestoreRequestException($"--to-time {t:yyyy-MM-ddTHH:mm:ssZ} is in the future; the recoverable window is {window?.ToString() ?? "empty"}");
        if (window is null || !window.Contains(t))
            throw new RestoreRequestException($"--to-time {t:yyyy-MM-ddTHH:mm:ssZ} is outside the recoverable window {window?.ToString() ?? "(empty: no backup with archived WAL)"}");
        // The newest copy whose consistent point is at or before T: the least WAL to replay.
        foreach (var r in order)
        {
            var candidate = backups.Select(b => (Backup: b, Copy: b.CopyIn(r))).Where(x => x.Copy is not null && x.Copy.FinishedAt <= t)
                .OrderByDescending(x => x.Copy!.FinishedAt).FirstOrDefault();
            if (candidate.Backup is not null) return new RestorePlan(request.Name, region, candidate.Backup, candidate.Copy!, t);
        }
        throw new RestoreRequestException($"no backup finished at or before {t:yyyy-MM-ddTHH:mm:ssZ}; the recoverable window is {window}");
    }

    /// <summary>The message for an id that names no backup: the nearest ids, and where to see them all.</summary>
    public static string UnknownBackup(string id, IEnumerable<string> ids) =>
        $"no backup '{id}'; nearest: {string.Join(", ", Nearest(id, ids, 3))} (`regami-dr backup list`)";

    /// <summary>The ids closest to a mistyped one (edit distance), for the error message.</summary>
    public static IReadOnlyList<string> Nearest(string wanted, IEnumerable<string> ids, int count) =>
        ids.OrderBy(i => Distance(wanted, i)).ThenBy(i => i, StringComparer.Ordinal).Take(count).ToList();

    private static int Distance(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
