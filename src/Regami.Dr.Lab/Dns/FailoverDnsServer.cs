using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Regami.Dr.Core.Traffic;
using Regami.Dr.Probes;

namespace Regami.Dr.Lab.Dns;

/// <summary>
/// The lab's authoritative DNS server with Route 53 failover records: answers A queries for the
/// failover name (UDP and TCP, ARSoft.Tools.Net) by <see cref="FailoverRecordSet.Resolve(Func{string, HealthCheckSnapshot?}, IReadOnlyDictionary{string, bool}?)"/>,
/// fed by one HTTP health prober per health-checked record and by the routing-controls file.
/// </summary>
/// <remarks>
/// Two loops. Every health-check tick (one <see cref="HealthCheckOptions.RequestInterval"/>, the first
/// at start): probe every target in parallel → record the results in each <see cref="HealthCheckStatus"/>
/// → resolve → write the status file. Every <see cref="DnsServerOptions.ControlPollInterval"/> (100 ms):
/// re-read the routing controls and the verified-healthy file when they changed, mark freshly verified
/// regions healthy, and resolve again if anything changed — so a runbook's routing change is answered
/// within ≈ 0.1 s instead of at the next tick. Queries resolve from the latest state.
/// </remarks>
public sealed class FailoverDnsServer
{
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private volatile DnsServerStatus? _lastStatus;

    public FailoverDnsServer(ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The status of the running (or last) run, as also written to the status file; null before the first tick.</summary>
    public DnsServerStatus? LastStatus => _lastStatus;

    /// <summary>
    /// Serves DNS and runs the health checks until <paramref name="cancellationToken"/> is cancelled;
    /// the returned task then completes normally, after the sockets are closed and a final status
    /// (<c>state: stopped</c>) is written.
    /// </summary>
    /// <remarks>
    /// Options are validated and the UDP and TCP sockets bound <b>before</b> this method returns: invalid
    /// options throw <see cref="ArgumentException"/> (every problem listed), a port in use throws
    /// <see cref="SocketException"/>, both synchronously. When the task is returned, the server answers.
    /// </remarks>
    public Task RunAsync(DnsServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid DNS server options: " + string.Join("; ", errors), nameof(options));

        var session = new Session(this, options);
        session.Start();
        return session.RunUntilCancelledAsync(cancellationToken);
    }

    /// <summary>The state of one <see cref="RunAsync"/> call.</summary>
    private sealed class Session
    {
        private readonly FailoverDnsServer _owner;
        private readonly DnsServerOptions _options;
        private readonly FailoverRecordSet _recordSet;
        private readonly FailoverZoneResponder _responder;
        private readonly Dictionary<string, HealthCheckStatus> _healthChecks = new(StringComparer.Ordinal);
        private readonly List<(string HealthCheckId, Uri Target)> _targets = [];
        private readonly RoutingControlsFile _routingControlsFile;
        private readonly VerifiedHealthyFile _verifiedHealthyFile;
        private readonly Lock _publishGate = new();
        private readonly HttpHealthProber _prober;
        private readonly DnsServer _dns;
        private readonly DateTimeOffset _startedAt;
        private volatile IReadOnlyDictionary<string, bool> _routingControls;
        private FailoverAnswer? _lastAnswer;
        private string? _lastRoutingControlsError;
        private string? _lastVerificationsError;
        private long _queries;
        private long _errors;
        private volatile string? _lastError;

        private ILogger Log => _owner._logger;
        private TimeProvider Time => _owner._timeProvider;

        public Session(FailoverDnsServer owner, DnsServerOptions options)
        {
            _owner = owner;
            _options = options;
            _recordSet = options.RecordSet;
            _responder = new FailoverZoneResponder(options);
            _startedAt = Time.GetUtcNow();
            _prober = new HttpHealthProber(options.HealthCheck.Timeout, Time);
            foreach (var record in new[] { _recordSet.Primary, _recordSet.Secondary })
            {
                if (record.HealthCheckId is not { } id || _healthChecks.ContainsKey(id)) continue;
                _healthChecks[id] = new HealthCheckStatus(id, options.HealthCheck.FailureThreshold, Time);
                _targets.Add((id, options.HealthCheckTargets[id]));
            }
            _routingControlsFile = new RoutingControlsFile(options.RoutingControlsFile);
            _routingControlsFile.Refresh();
            _routingControls = _routingControlsFile.Current;
            _verifiedHealthyFile = new VerifiedHealthyFile(options.VerifiedHealthyFile);
            _dns = new DnsServer(
                new UdpServerTransport(options.ListenEndPoint),
                new TcpServerTransport(options.ListenEndPoint));
            _dns.QueryReceived += OnQueryReceivedAsync;
            _dns.ExceptionThrown += OnDnsExceptionAsync;
        }

        public void Start()
        {
            try
            {
                _dns.Start();
            }
            catch
            {
                // One transport may have bound before the other failed: release it.
                _dns.Stop();
                _prober.Dispose();
                throw;
            }
            Log.LogInformation(
                "DNS server listening on {Endpoint} (UDP+TCP), zone {Zone}: {Name} PRIMARY {PrimaryRegion} {PrimaryAddress}, SECONDARY {SecondaryRegion} {SecondaryAddress}, TTL {TtlSeconds} s; health checks every {IntervalMs} ms, threshold {FailureThreshold}, timeout {TimeoutMs} ms; routing controls {RoutingControls}",
                _options.ListenEndPoint, _options.Zone, _recordSet.Name,
                _recordSet.Primary.Region, _recordSet.Primary.Address, _recordSet.Secondary.Region, _recordSet.Secondary.Address,
                _recordSet.TtlSeconds, _options.HealthCheck.RequestInterval.TotalMilliseconds, _options.HealthCheck.FailureThreshold,
                _options.HealthCheck.Timeout.TotalMilliseconds, RoutingControlsFile.Describe(_routingControls));
            // Replace a previous run's "stopped" status at once, before the first probes return.
            Reevaluate();
        }

        public async Task RunUntilCancelledAsync(CancellationToken cancellationToken)
        {
            try
            {
                await Task.WhenAll(
                    RepeatAsync(_options.HealthCheck.RequestInterval, TickAsync, cancellationToken),
                    RepeatAsync(_options.ControlPollInterval, PollControlsAsync, cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Cancellation is how the server is asked to stop.
            }
            finally
            {
                try
                {
                    _dns.Stop();
                }
                catch (Exception e)
                {
                    CountError("stopping the DNS transports failed", e);
                }
                _prober.Dispose();
                Publish("stopped", CurrentAnswer());
                Log.LogInformation("DNS server on {Endpoint} stopped after answering {Queries} queries", _options.ListenEndPoint, Interlocked.Read(ref _queries));
            }
        }

        private async Task RepeatAsync(TimeSpan interval, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(interval, Time);
            do
            {
                await work(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }

        private async Task TickAsync(CancellationToken cancellationToken)
        {
            var results = await Task.WhenAll(_targets.Select(async t => (Target: t, Result: await _prober.ProbeAsync(t.Target, cancellationToken))));
            try
            {
                foreach (var (target, result) in results)
                    RecordProbe(target.HealthCheckId, target.Target, result);
                Reevaluate();
            }
            catch (Exception e)
            {
                // A tick must not end the server: count it, log it, surface it in the status.
                CountError("tick failed", e);
            }
        }

        private Task PollControlsAsync(CancellationToken cancellationToken)
        {
            try
            {
                var routingChanged = RefreshRoutingControls();
                var marked = ApplyVerifications();
                if (routingChanged || marked) Reevaluate();
            }
            catch (Exception e)
            {
                CountError("reading the control files failed", e);
            }
            return Task.CompletedTask;
        }

        /// <summary>Resolves from the current state, logs a changed answer and publishes the status (from either loop, one at a time).</summary>
        private void Reevaluate()
        {
            lock (_publishGate)
            {
                var answer = CurrentAnswer();
                if (_lastAnswer is null || _lastAnswer.Address != answer.Address || _lastAnswer.Situation != answer.Situation)
                    Log.LogInformation(
                        "DNS answer for {Name}: {Role} {Region} {Address} ({Situation}): {Reason}",
                        answer.Name, answer.Role, answer.Region, answer.Address, answer.Situation, answer.Reason);
                _lastAnswer = answer;
                Publish("running", answer);
            }
        }

        /// <summary>Marks the health checks of freshly verified regions healthy; true when one was marked.</summary>
        private bool ApplyVerifications()
        {
            var any = false;
            foreach (var (region, verification) in _verifiedHealthyFile.TakeNew())
            {
                foreach (var record in new[] { _recordSet.Primary, _recordSet.Secondary })
                {
                    if (record.Region != region || record.HealthCheckId is not { } id || !_healthChecks.TryGetValue(id, out var status)) continue;
                    status.MarkHealthy($"verified healthy at {verification.At:HH:mm:ss.fff}: {verification.Evidence}");
                    Log.LogInformation("Health check {HealthCheckId} of {Region} marked healthy by a verification: {Evidence}", id, region, verification.Evidence);
                    any = true;
                }
            }
            if (_verifiedHealthyFile.Error is { } error && error != _lastVerificationsError)
                Log.LogWarning("Verified-healthy file rejected: {Error}", error);
            _lastVerificationsError = _verifiedHealthyFile.Error;
            return any;
        }

        private void RecordProbe(string healthCheckId, Uri target, HealthProbeResult result)
        {
            var status = _healthChecks[healthCheckId];
            if (status.Record(result.Succeeded, result.Reason))
            {
                var now = status.Current;
                Log.Log(now.IsHealthy ? LogLevel.Information : LogLevel.Warning,
                    "Health check {HealthCheckId} ({Target}) is now {Health}: {Description}",
                    healthCheckId, target, now.IsHealthy ? "healthy" : "unhealthy", now.Describe());
            }
            else if (!result.Succeeded)
            {
                Log.LogDebug("Health check {HealthCheckId} ({Target}) failed: {Reason}", healthCheckId, target, result.Reason);
            }
        }

        private bool RefreshRoutingControls()
        {
            var changed = _routingControlsFile.Refresh();
            if (changed)
            {
                _routingControls = _routingControlsFile.Current;
                Log.LogInformation("Routing controls changed ({File}): {RoutingControls}",
                    _routingControlsFile.Path, RoutingControlsFile.Describe(_routingControls));
            }
            if (_routingControlsFile.Error != _lastRoutingControlsError)
            {
                if (_routingControlsFile.Error is { } error)
                    Log.LogWarning("Routing controls file rejected: {Error}", error);
                _lastRoutingControlsError = _routingControlsFile.Error;
            }
            return changed;
        }

        private FailoverAnswer CurrentAnswer() =>
            _recordSet.Resolve(id => _healthChecks.TryGetValue(id, out var s) ? s.Current : null, _routingControls);

        private Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
        {
            if (e.Query is DnsMessage query)
            {
                var response = _responder.Respond(query, CurrentAnswer);
                e.Response = response;
                Interlocked.Increment(ref _queries);
                if (Log.IsEnabled(LogLevel.Debug))
                    Log.LogDebug("DNS {Protocol} {Question} from {Client} → {ReturnCode} {Answers}",
                        e.TransportProtocol, query.Questions.FirstOrDefault(), e.RemoteEndpoint, response.ReturnCode,
                        string.Join(", ", response.AnswerRecords));
            }
            return Task.CompletedTask;
        }

        private Task OnDnsExceptionAsync(object sender, ExceptionEventArgs e)
        {
            CountError("DNS transport error", e.Exception);
            return Task.CompletedTask;
        }

        private void CountError(string what, Exception e)
        {
            Interlocked.Increment(ref _errors);
            _lastError = $"{what}: {e.GetType().Name}: {e.Message}";
            Log.LogWarning(e, "DNS server: {What}", what);
        }

        private void Publish(string state, FailoverAnswer answer)
        {
            var status = BuildStatus(state, answer);
            _owner._lastStatus = status;
            if (_options.StatusFile is not { } path) return;
            try
            {
                status.WriteAtomically(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                CountError($"could not write status file {path}", e);
            }
        }

        private DnsServerStatus BuildStatus(string state, FailoverAnswer answer)
        {
            var controls = new SortedDictionary<string, bool>(StringComparer.Ordinal)
            {
                [_recordSet.Primary.Region] = answer.Primary.RoutingControlOn,
                [_recordSet.Secondary.Region] = answer.Secondary.RoutingControlOn,
            };
            foreach (var (region, on) in _routingControls)
                controls[region] = on;
            var hc = _options.HealthCheck;
            return new DnsServerStatus
            {
                State = state,
                Pid = Environment.ProcessId,
                Listen = _options.ListenEndPoint.ToString(),
                Zone = _options.Zone,
                Name = _recordSet.Name,
                TtlSeconds = _recordSet.TtlSeconds,
                StartedAt = _startedAt,
                UpdatedAt = Time.GetUtcNow(),
                Answer = new DnsAnswerStatus(answer.Role, answer.Region, answer.Address, answer.Situation, answer.Reason),
                Records = [RecordStatus(answer.Primary), RecordStatus(answer.Secondary)],
                RoutingControls = controls,
                RoutingControlsFile = _routingControlsFile.Path,
                RoutingControlsError = _routingControlsFile.Error,
                HealthCheck = new DnsHealthCheckSettings(hc.RequestInterval.TotalSeconds, hc.FailureThreshold, hc.Timeout.TotalSeconds, hc.Path),
                QueriesAnswered = Interlocked.Read(ref _queries),
                Errors = Interlocked.Read(ref _errors),
                LastError = _lastError,
            };
        }

        private DnsRecordStatus RecordStatus(RecordEvaluation e)
        {
            var check = e.HealthCheck;
            var target = e.Record.HealthCheckId is { } id && _options.HealthCheckTargets.TryGetValue(id, out var uri) ? uri.ToString() : null;
            return new DnsRecordStatus(
                e.Role, e.Record.Region, e.Record.Address, e.Record.HealthCheckId, target,
                Healthy: check?.IsHealthy ?? true,
                RoutingControlOn: e.RoutingControlOn,
                EffectiveHealthy: e.IsHealthy,
                ConsecutiveFailures: check?.ConsecutiveFailures ?? 0,
                ConsecutiveSuccesses: check?.ConsecutiveSuccesses ?? 0,
                FailureThreshold: check?.FailureThreshold ?? _options.HealthCheck.FailureThreshold,
                LastCheckedAt: check?.LastCheckedAt,
                LastReason: check?.LastReason,
                LastChangeAt: check?.LastChangeAt,
                Explanation: e.Explanation);
        }
    }
}
