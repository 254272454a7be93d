using System.Text.Json;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Output;

/// <summary>The same content as the text output, as one JSON document.</summary>
public static class ValidationJsonWriter
{
    public static void Write(ValidationReport report, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteBoolean("valid", report.IsValid);
            json.WriteStartObject("summary");
            json.WriteNumber("files", report.Files.Length);
            json.WriteNumber("policies", report.PolicyCount);
            json.WriteNumber("invalidPolicies", report.InvalidPolicyCount);
            json.WriteNumber("unreadableFiles", report.InvalidFileCount);
            json.WriteNumber("errors", report.Count(Severity.Error));
            json.WriteNumber("warnings", report.Count(Severity.Warning));
            json.WriteString("text", report.Summary);
            json.WriteEndObject();
            json.WriteStartArray("files");
            foreach (var file in report.Files)
            {
                json.WriteStartObject();
                json.WriteString("file", file.File);
                json.WriteBoolean("valid", file.IsValid);
                json.WriteNumber("suppressedFindings", file.SuppressedFindings);
                WriteFindings(json, file.FileFindings);
                json.WriteStartArray("policies");
                foreach (var policy in file.Policies)
                {
                    WritePolicy(json, policy);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WritePolicy(Utf8JsonWriter json, PolicyReport policy)
    {
        var document = policy.Document;
        var metadata = document switch
        {
            CiliumPolicy c => c.Metadata,
            NetworkPolicy n => n.Metadata,
            _ => null,
        };
        json.WriteStartObject();
        json.WriteString("kind", document.Kind.ToString());
        json.WriteString("name", metadata?.Name?.Text);
        json.WriteString("namespace", metadata?.Namespace?.Text);
        json.WriteString("path", document.PathPrefix);
        json.WriteNumber("line", document.Position.Line);
        json.WriteBoolean("valid", policy.IsValid);
        WriteFindings(json, policy.Findings);
        json.WriteEndObject();
    }

    private static void WriteFindings(Utf8JsonWriter json, IEnumerable<FieldError> findings)
    {
        json.WriteStartArray("findings");
        foreach (var finding in findings)
        {
            json.WriteStartObject();
            json.WriteString("severity", finding.Severity.ToString().ToLowerInvariant());
            json.WriteString("code", finding.Code);
            json.WriteString("kind", finding.Kind.ToString());
            json.WriteString("file", finding.Position.File);
            json.WriteNumber("line", finding.Position.Line);
            json.WriteNumber("column", finding.Position.Column);
            json.WriteString("path", finding.Path);
            json.WriteString("message", finding.Message);
            json.WriteString("detail", finding.Detail);
            json.WriteString("value", finding.BadValue);
            json.WriteString("hint", finding.Hint);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
