namespace Regami.Dr.Store;

/// <summary>Where regami-dr keeps its state (store, journal, audit, and the lab's files), whatever the provider.</summary>
public static class StateDirectory
{
    /// <summary>
    /// <c>--state-dir</c>, else <c>REGAMI_DR_STATE</c>, else <c>$XDG_STATE_HOME/regami-dr</c> or
    /// <c>~/.local/state/regami-dr</c>. As root the default is <c>/var/lib/regami-dr</c>: the lab runs
    /// PostgreSQL as the <c>postgres</c> user, which cannot enter /root.
    /// </summary>
    public static string Resolve(string? explicitDir, Func<string, string?> env, bool isRoot)
    {
        if (!string.IsNullOrWhiteSpace(explicitDir)) return Path.GetFullPath(explicitDir);
        if (env("REGAMI_DR_STATE") is { Length: > 0 } fromEnv) return Path.GetFullPath(fromEnv);
        if (isRoot) return "/var/lib/regami-dr";
        if (env("XDG_STATE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "regami-dr");
        var home = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".local", "state", "regami-dr");
    }
}
