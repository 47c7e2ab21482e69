namespace Regami.Dr.Server.Notifications;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpTlsMode
{
    /// <summary>Plain text. Only for a local relay or test sink; no credentials may be sent.</summary>
    None,

    /// <summary>Connect in plain text, then upgrade with STARTTLS (port 587); fails if the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,
}

/// <summary>Where and how e-mail notifications are sent. The password is a secret: <see cref="ToString"/> masks it.</summary>
public sealed record SmtpOptions
{
    public string Host { get; init; } = "";

    /// <summary>SMTP submission port (default 587).</summary>
    public int Port { get; init; } = 587;

    /// <summary>The sender address, e.g. <c>Regami DR &lt;dr@regami.com&gt;</c>.</summary>
    public string From { get; init; } = "";

    public SmtpTlsMode UseTls { get; init; } = SmtpTlsMode.StartTls;

    public string? Username { get; init; }

    /// <summary>Secret.</summary>
    public string? Password { get; init; }

    /// <summary>How long one SMTP command may take (default 30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem with these options, one sentence each, prefixed with <paramref name="prefix"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string prefix = "smtp")
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Host))
            errors.Add($"{prefix}.host must not be empty");
        if (Port is < 1 or > 65535)
            errors.Add($"{prefix}.port must be between 1 and 65535 (found {Port})");
        if (!Mailboxes.TryParse(From, out _))
            errors.Add($"{prefix}.from '{From}' is not an e-mail address");
        if (!Enum.IsDefined(UseTls))
            errors.Add($"{prefix}.useTls must be None, StartTls or SslOnConnect");
        if (Timeout <= TimeSpan.Zero)
            errors.Add($"{prefix}.timeout must be greater than 0 (found {Timeout.TotalSeconds} s)");
        if (Username is not null && string.IsNullOrWhiteSpace(Username))
            errors.Add($"{prefix}.username must not be blank (leave it out for no authentication)");
        if (Password is not null && Username is null)
            errors.Add($"{prefix}.password is set but {prefix}.username is not");
        if (Username is not null && Password is null)
            errors.Add($"{prefix}.username is set but {prefix}.password is not");
        if (Password is not null && UseTls == SmtpTlsMode.None)
            errors.Add($"{prefix}.useTls is None but a password is set: credentials would cross the network in clear text (use StartTls or SslOnConnect)");
        return errors;
    }

    public override string ToString() =>
        $"SmtpOptions {{ Host = {Host}, Port = {Port}, From = {From}, UseTls = {UseTls}, Username = {Username ?? "(none)"}, Password = {Secrets.MaskValue(Password)}, Timeout = {Timeout} }}";
}
