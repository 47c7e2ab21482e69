using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MimeKit;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Component.Tests.Notifications;

/// <summary>
/// A Slack-style incoming webhook on a free 127.0.0.1 port (Kestrel): captures every POST body to
/// <c>/services/…</c> and answers with <see cref="StatusCode"/> — or, while <see cref="Hang"/> is
/// set, never answers (until the client gives up).
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>The path's last segment, the part of a real webhook URL that is the secret.</summary>
    public const string SecretToken = "xoxb-SECRET-TOKEN-4711";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _bodies = new();
    private int _statusCode = 200;
    private volatile bool _hang;

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<string> Bodies => _bodies.ToArray();

    public int StatusCode
    {
        get => Volatile.Read(ref _statusCode);
        set => Volatile.Write(ref _statusCode, value);
    }

    /// <summary>Read the body, then never answer: a webhook that hangs.</summary>
    public bool Hang
    {
        get => _hang;
        set => _hang = value;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var self = new WebhookReceiver(app);
        app.MapPost("/services/{**rest}", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            self._bodies.Enqueue(await reader.ReadToEndAsync());
            if (self.Hang)
            {
                try { await Task.Delay(Timeout.InfiniteTimeSpan, request.HttpContext.RequestAborted); }
                catch (OperationCanceledException) { }
                return Results.Empty;
            }
            var code = self.StatusCode;
            return code == 200 ? Results.Text("ok") : Results.Text("invalid_token: the receiver is configured to fail", statusCode: code);
        });
        await app.StartAsync();
        self.Url = new Uri(app.Urls.First().TrimEnd('/') + $"/services/T0001/B0001/{SecretToken}");
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A mail captured by <see cref="SmtpSink"/>: the envelope and the parsed message.</summary>
internal sealed record CapturedMail(string MailFrom, IReadOnlyList<string> RcptTo, MimeMessage Message);

/// <summary>
/// A minimal SMTP server (RFC 5321, enough for MailKit without TLS or AUTH) on a free 127.0.0.1
/// port: 220 greeting, EHLO/HELO 250, MAIL FROM 250, RCPT TO 250, DATA 354 … "." 250, RSET/NOOP
/// 250, QUIT 221. A mail is captured before its 250 is sent, so once the client's send returns the
/// mail is in <see cref="Mails"/>.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<CapturedMail> _mails = new();
    private readonly Task _acceptLoop;

    public SmtpSink()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<CapturedMail> Mails => _mails.ToArray();

    private async Task AcceptLoopAsync()
    {
        var sessions = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                sessions.Add(ServeAsync(client, _stop.Token));
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
        await Task.WhenAll(sessions);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false);
            await using var writer = new StreamWriter(stream, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 sink.localhost ESMTP test sink");
            string? from = null;
            var rcpt = new List<string>();
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                if (line.StartsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase)) verb = "MAIL";
                else if (line.StartsWith("RCPT TO:", StringComparison.OrdinalIgnoreCase)) verb = "RCPT";
                switch (verb)
                {
                    case "EHLO" or "HELO":
                        await writer.WriteLineAsync("250 sink.localhost");
                        break;
                    case "MAIL":
                        from = Path(line);
                        rcpt.Clear();
                        await writer.WriteLineAsync("250 2.1.0 OK");
                        break;
                    case "RCPT":
                        rcpt.Add(Path(line));
                        await writer.WriteLineAsync("250 2.1.5 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(ct) is { } dataLine && dataLine != ".")
                            data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n"); // undo dot-stuffing
                        var message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.Latin1.GetBytes(data.ToString())), ct);
                        _mails.Enqueue(new CapturedMail(from ?? "", rcpt.ToArray(), message));
                        await writer.WriteLineAsync("250 2.0.0 queued");
                        break;
                    case "RSET":
                        from = null;
                        rcpt.Clear();
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 command not implemented");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static string Path(string line)
    {
        var start = line.IndexOf('<');
        var end = line.IndexOf('>', start + 1);
        return start >= 0 && end > start ? line[(start + 1)..end] : line[(line.IndexOf(':') + 1)..].Trim();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}
