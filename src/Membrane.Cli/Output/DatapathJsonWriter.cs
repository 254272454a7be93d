using System.Text.Json;
using Membrane.Datapath.Ebpf.Benchmarking;
using Membrane.Datapath.Ebpf.Inspection;

namespace Membrane.Cli.Output;

/// <summary>The JSON of <c>bpf stats</c> and <c>bench datapath</c>: arrays of flat objects, as docs/datapath.md gives them.</summary>
public static class DatapathJsonWriter
{
    public static void WriteReports(IReadOnlyList<ProgramReport> reports, TextWriter output) => Write(output, json =>
    {
        json.WriteStartArray();
        foreach (var r in reports)
        {
            json.WriteStartObject();
            json.WriteString("program", r.Program);
            json.WriteNumber("instructions", r.Instructions);
            json.WriteNumber("processedInstructions", r.ProcessedInstructions);
            json.WriteNumber("totalStates", r.TotalStates);
            json.WriteNumber("peakStates", r.PeakStates);
            if (r.VerificationMilliseconds is { } ms)
            {
                json.WriteNumber("verificationMilliseconds", Math.Round(ms, 3));
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    public static void WriteBenchmark(IReadOnlyList<DatapathBenchmarkResult> results, TextWriter output) => Write(output, json =>
    {
        json.WriteStartArray();
        foreach (var r in results)
        {
            json.WriteStartObject();
            json.WriteString("case", r.Case);
            json.WriteNumber("policyEntries", r.PolicyEntries);
            json.WriteNumber("ipcacheEntries", r.IpcacheEntries);
            json.WriteNumber("nsPerPacket", Math.Round(r.NsPerPacket, 1));
            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    private static void Write(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            body(json);
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
