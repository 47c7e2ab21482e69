using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Server.Notifications;

/// <summary>Binds <c>notifications:</c> of regami-dr.yaml straight to <see cref="NotificationOptions"/> and validates it, located.</summary>
public static class NotificationConfiguration
{
    public static NotificationOptions From(ConfigDocument doc, string provider)
    {
        var options = doc.BindSection<NotificationOptions>("notifications");
        // The lab rehearses faster: unacknowledged Sev1 alerts repeat every 30 s unless the file says otherwise.
        if (provider == "lab" && !doc.Mentions("notifications.repeatInterval"))
            options = options with { RepeatInterval = EscalationPolicy.LabRepeatInterval };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            // Messages start with the field they are about (e.g. "smtp.host must not be empty"); never with a secret.
            var field = "notifications." + problems[0].Split(' ', 2)[0].TrimEnd(':');
            throw doc.Error(field, problems[0]);
        }
        return options;
    }
}
