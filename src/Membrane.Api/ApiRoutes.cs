using System.Text.RegularExpressions;

namespace Membrane.Api;

/// <summary>
/// The API's routes, written once: the agent maps these templates, and the client fills the same templates with
/// <see cref="Path"/>, so the two cannot drift apart. A parameter is escaped as one path segment, so a name holding
/// <c>/</c> (a policy's <c>NAMESPACE/NAME</c>) stays one value, which the agent unescapes.
/// </summary>
public static partial class ApiRoutes
{
    public const string Status = "/v1/status";
    public const string Ipcache = "/v1/ipcache";
    public const string Monitor = "/v1/monitor";
    public const string Conntrack = "/v1/conntrack";
    public const string Trace = "/v1/trace";
    public const string Endpoints = "/v1/endpoints";
    public const string Endpoint = "/v1/endpoints/{name}";
    public const string EndpointPolicyMap = "/v1/endpoints/{name}/policy-map";
    public const string EndpointLabels = "/v1/endpoints/{name}/labels";
    public const string Namespaces = "/v1/namespaces";
    public const string NamespaceLabels = "/v1/namespaces/{name}/labels";
    public const string Policies = "/v1/policies";
    public const string Policy = "/v1/policies/{name}";
    public const string Cluster = "/v1/cluster";
    public const string Nodes = "/v1/nodes";

    /// <summary>
    /// <paramref name="template"/> with each <c>{parameter}</c> replaced, in order, by the escaped value, relative to the
    /// agent's base address (no leading slash). The values must match the template's parameters one for one.
    /// </summary>
    public static string Path(string template, params string[] values)
    {
        var parameters = Parameter().Count(template);
        if (parameters != values.Length)
        {
            throw new ArgumentException($"{template} has {parameters} parameters, not {values.Length}", nameof(values));
        }

        var index = 0;
        return Parameter().Replace(template, _ => Uri.EscapeDataString(values[index++])).TrimStart('/');
    }

    [GeneratedRegex(@"\{[a-z]+\}")]
    private static partial Regex Parameter();
}
