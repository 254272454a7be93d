using Microsoft.AspNetCore.Http;

namespace Membrane.Agent.Hosting;

/// <summary>Reading request bodies: a body that is missing or does not parse is the client's error, saying the shape wanted.</summary>
internal static class ApiRequests
{
    /// <summary>
    /// The body as <typeparamref name="T"/>; an <see cref="ArgumentException"/> (400) saying <paramref name="shape"/>
    /// when it is missing, is not JSON, or does not pass <paramref name="complete"/>.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string shape,
        Func<T, bool>? complete = null)
    {
        T? body;
        try
        {
            body = await request.ReadFromJsonAsync(type);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            body = default;
        }

        return body is not null && (complete?.Invoke(body) ?? true) ? body : throw new ArgumentException($"the body must be {shape}");
    }
}
