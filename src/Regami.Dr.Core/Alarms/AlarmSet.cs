namespace Regami.Dr.Core.Alarms;

/// <summary>
/// A fixed set of alarms with their current states and a bounded buffer of recent samples per metric.
/// Still pure: samples and the time come in, transitions come out; acting on them is the caller's job.
/// </summary>
/// <remarks>
/// <para>
/// Every alarm starts in <see cref="AlarmState.InsufficientData"/>, as a new CloudWatch alarm does, so the
/// first evaluation with data is a transition too (to OK or ALARM).
/// </para>
/// <para>
/// The buffer of a metric keeps what its longest alarm needs: the evaluation range plus the open period.
/// Older samples are dropped when they arrive and whenever newer samples or evaluations move the window on.
/// </para>
/// <para>Thread-safe: probes may record while the decision loop evaluates and the dashboard reads.</para>
/// </remarks>
public sealed class AlarmSet
{
    private readonly Lock _gate = new();
    private readonly AlarmStatus[] _statuses;
    private readonly Dictionary<string, TimeSpan> _retentionByMetric;
    private readonly Dictionary<string, List<MetricSample>> _samplesByMetric;

    /// <exception cref="ArgumentException">A definition is invalid or two share a name; the message lists every problem.</exception>
    public AlarmSet(IEnumerable<AlarmDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var list = definitions.ToList();
        var errors = new List<string>();
        foreach (var definition in list)
        {
            if (definition is null) { errors.Add("a definition is null"); continue; }
            errors.AddRange(definition.Validate().Select(e => $"alarm '{definition.Name}': {e}"));
        }
        errors.AddRange(list.Where(d => d is not null)
            .GroupBy(d => d.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => $"alarm name '{g.Key}' is used {g.Count()} times; names must be unique"));
        if (errors.Count > 0)
            throw new ArgumentException("Invalid alarm definitions: " + string.Join("; ", errors) + ".", nameof(definitions));

        _statuses = list.Select(d => new AlarmStatus(d, AlarmState.InsufficientData, AlarmStatus.InitialReason, null, null)).ToArray();
        _retentionByMetric = list
            .GroupBy(d => d.Metric, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Max(d => d.EvaluationRangeDuration + d.Period), StringComparer.Ordinal);
        _samplesByMetric = _retentionByMetric.Keys.ToDictionary(m => m, _ => new List<MetricSample>(), StringComparer.Ordinal);
        Definitions = list.AsReadOnly();
    }

    /// <summary>The alarms, in the order given.</summary>
    public IReadOnlyList<AlarmDefinition> Definitions { get; }

    /// <summary>The metrics some alarm watches; samples of other metrics are not kept.</summary>
    public IReadOnlyCollection<string> Metrics => _retentionByMetric.Keys;

    /// <summary>Every alarm's status, in definition order.</summary>
    public IReadOnlyList<AlarmStatus> Current
    {
        get { lock (_gate) return _statuses.ToArray(); }
    }

    /// <summary>The status of the alarm named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No alarm has that name.</exception>
    public AlarmStatus StatusOf(string name)
    {
        lock (_gate)
            return _statuses.FirstOrDefault(s => s.Name == name)
                ?? throw new KeyNotFoundException($"There is no alarm named '{name}'.");
    }

    /// <summary>
    /// Keeps <paramref name="sample"/> for the alarms on its metric. Returns false, keeping nothing, when no
    /// alarm watches the metric or the sample is older than any alarm on it can still read.
    /// </summary>
    public bool Record(MetricSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_gate)
        {
            if (!_samplesByMetric.TryGetValue(sample.Metric, out var samples))
                return false;
            var retention = _retentionByMetric[sample.Metric];
            var newest = samples.Count == 0 ? sample.At : Max(samples[^1].At, sample.At);
            var cutoff = newest - retention;
            if (sample.At < cutoff)
                return false;
            // Samples usually arrive in time order; a late one is inserted in place so the list stays sorted.
            var index = samples.Count;
            while (index > 0 && samples[index - 1].At > sample.At) index--;
            samples.Insert(index, sample);
            DropBefore(samples, cutoff);
            return true;
        }
    }

    /// <summary>
    /// Evaluates every alarm at <paramref name="now"/> and returns the alarms whose state changed, in
    /// definition order; an alarm that stays in its state produces nothing, however often it is evaluated.
    /// </summary>
    public IReadOnlyList<AlarmTransition> Evaluate(DateTimeOffset now)
    {
        lock (_gate)
        {
            foreach (var (metric, samples) in _samplesByMetric)
                DropBefore(samples, now - _retentionByMetric[metric]);

            var transitions = new List<AlarmTransition>();
            for (var i = 0; i < _statuses.Length; i++)
            {
                var status = _statuses[i];
                var definition = status.Definition;
                var evaluation = AlarmEvaluator.Evaluate(definition, _samplesByMetric[definition.Metric], now, status.State);
                if (evaluation.State == status.State)
                {
                    _statuses[i] = status with { LastEvaluation = evaluation };
                    continue;
                }
                _statuses[i] = new AlarmStatus(definition, evaluation.State, evaluation.Reason, now, evaluation);
                transitions.Add(new AlarmTransition(definition.Name, status.State, evaluation.State, definition.Severity, evaluation.Reason, now));
            }
            return transitions;
        }
    }

    /// <summary>How many samples are buffered for <paramref name="metric"/> (0 for a metric no alarm watches).</summary>
    public int BufferedSamples(string metric)
    {
        lock (_gate)
            return _samplesByMetric.TryGetValue(metric, out var samples) ? samples.Count : 0;
    }

    /// <summary>Removes the samples before <paramref name="cutoff"/> from a list kept in time order.</summary>
    private static void DropBefore(List<MetricSample> samples, DateTimeOffset cutoff)
    {
        var stale = 0;
        while (stale < samples.Count && samples[stale].At < cutoff) stale++;
        if (stale > 0) samples.RemoveRange(0, stale);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
