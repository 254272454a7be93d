using System.Text;
using System.Text.Json;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// The agent's monitor stream for the whole test, each event turned into the line <c>membrane monitor -o json</c>
/// prints (the same <see cref="HubbleFlowWriter"/>), so that each step can ask which Hubble-shaped flows arrived
/// since it began. It is cancelled at Dispose, before the agent is stopped (<c>membrane monitor</c> itself cannot be
/// cancelled in-process), and every read checks that the stream is still running.
/// </summary>
public sealed class MonitorRecorder : IDisposable
{
    private readonly LineWriter _stdout = new();
    private readonly StringWriter _stderr = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly AgentClient _client;
    private readonly Task _run;

    private MonitorRecorder(string socket)
    {
        _client = new AgentClient(socket);
        _run = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in _client.MonitorAsync(_cancel.Token))
                {
                    _stdout.WriteLine(HubbleFlowWriter.Line(e));
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                _stderr.WriteLine(e.Message);
            }
        });
    }

    /// <summary>Starts the monitor and gives it time to subscribe (the agent sends no event before the first packet).</summary>
    public static async Task<MonitorRecorder> StartAsync(AgentProcess agent)
    {
        var recorder = new MonitorRecorder(agent.Socket);
        await Task.Delay(700);
        Assert.False(recorder._run.IsCompleted, $"the monitor ended at once: {recorder._stderr}");
        return recorder;
    }

    /// <summary>How many flows have arrived: a step's mark.</summary>
    public int Mark => _stdout.Count;

    /// <summary>
    /// The flows since <paramref name="mark"/>. The monitor must still be running: "no drop since" from a stream that
    /// broke off would prove nothing.
    /// </summary>
    public IReadOnlyList<JsonElement> Since(int mark)
    {
        Assert.False(_run.IsCompleted, $"the monitor stream ended: {_stderr}");
        return _stdout.From(mark);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a flow after <paramref name="mark"/> that matches.</summary>
    public async Task<JsonElement?> WaitForAsync(int mark, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = Since(mark).Where(match).ToList();
            if (found.Count > 0)
            {
                return found[0];
            }

            if (DateTime.UtcNow > deadline)
            {
                return null;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every flow since <paramref name="mark"/>, one line each, for failure messages.</summary>
    public string Describe(int mark) =>
        string.Join("\n", Since(mark).Select(f => f.TryGetProperty("Summary", out var s) ? s.GetString() : f.ToString()));

    public void Dispose()
    {
        _cancel.Cancel();
        _run.Wait(TimeSpan.FromSeconds(5));
        _client.Dispose();
        _cancel.Dispose();
    }

    private sealed class LineWriter : TextWriter
    {
        private readonly StringBuilder _partial = new();
        private readonly List<JsonElement> _flows = [];

        public override Encoding Encoding => Encoding.UTF8;

        public int Count
        {
            get
            {
                lock (_flows)
                {
                    return _flows.Count;
                }
            }
        }

        public List<JsonElement> From(int mark)
        {
            lock (_flows)
            {
                return _flows.Skip(mark).ToList();
            }
        }

        public override void Write(char value)
        {
            lock (_flows)
            {
                if (value != '\n')
                {
                    _partial.Append(value);
                    return;
                }

                var line = _partial.ToString().Trim();
                _partial.Clear();
                if (line.Length > 0)
                {
                    _flows.Add(JsonDocument.Parse(line).RootElement.Clone());
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }
    }
}
