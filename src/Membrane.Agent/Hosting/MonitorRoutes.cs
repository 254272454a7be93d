using Membrane.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Membrane.Agent.Hosting;

/// <summary>The monitor: one JSON object per line, flushed as each event comes, for as long as the client stays.</summary>
internal static class MonitorRoutes
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(ApiRoutes.Monitor, async (HttpContext context, [FromServices] Monitor.EventHub hub, [FromServices] IHostApplicationLifetime lifetime) =>
        {
            // A stream ends when its client goes or when the agent stops: the host waits for open requests before it
            // exits, and a monitor left open would hold a SIGTERM up for the whole shutdown timeout.
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            context.Response.ContentType = "application/x-ndjson";
            await context.Response.Body.FlushAsync(ending.Token);
            try
            {
                await foreach (var monitored in hub.Subscribe(ending.Token))
                {
                    await context.Response.Body.WriteAsync(Line(monitored), ending.Token);
                    await context.Response.Body.FlushAsync(ending.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

    /// <summary>Serialised to memory first: Kestrel allows no synchronous writes, and the line must not be indented.</summary>
    private static ReadOnlyMemory<byte> Line(MonitorEvent monitored)
    {
        var line = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(line))
        {
            System.Text.Json.JsonSerializer.Serialize(json, monitored, ApiJsonContext.Default.MonitorEvent);
        }

        System.Buffers.BuffersExtensions.Write(line, "\n"u8);
        return line.WrittenMemory;
    }
}
