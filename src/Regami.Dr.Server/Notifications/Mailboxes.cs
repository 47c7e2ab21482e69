using MimeKit;

namespace Regami.Dr.Server.Notifications;

/// <summary>E-mail address parsing that insists on local@domain (MimeKit alone accepts a bare local part).</summary>
internal static class Mailboxes
{
    public static bool TryParse(string? text, out MailboxAddress mailbox)
    {
        mailbox = null!;
        if (string.IsNullOrWhiteSpace(text) || !MailboxAddress.TryParse(text, out var parsed))
            return false;
        var at = parsed.Address.LastIndexOf('@');
        if (at <= 0 || at == parsed.Address.Length - 1)
            return false;
        mailbox = parsed;
        return true;
    }
}
