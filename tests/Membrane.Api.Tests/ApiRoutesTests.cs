using Membrane.Api;

namespace Membrane.Api.Tests;

public sealed class ApiRoutesTests
{
    [Fact]
    public void A_template_is_filled_in_order_with_each_value_escaped_as_one_segment()
    {
        Assert.Equal("v1/status", ApiRoutes.Path(ApiRoutes.Status));
        Assert.Equal("v1/endpoints/web", ApiRoutes.Path(ApiRoutes.Endpoint, "web"));
        Assert.Equal("v1/endpoints/web/policy-map", ApiRoutes.Path(ApiRoutes.EndpointPolicyMap, "web"));

        // NAMESPACE/NAME stays one value; the agent unescapes it.
        Assert.Equal("v1/policies/prod%2Fdb", ApiRoutes.Path(ApiRoutes.Policy, "prod/db"));
        Assert.Equal("v1/endpoints/..%3F%23%20x", ApiRoutes.Path(ApiRoutes.Endpoint, "..?# x"));
    }

    [Fact]
    public void Values_that_do_not_match_the_parameters_one_for_one_are_refused()
    {
        Assert.Contains("1 parameters, not 0", Assert.Throws<ArgumentException>(() => ApiRoutes.Path(ApiRoutes.Endpoint)).Message);
        Assert.Contains("0 parameters, not 1", Assert.Throws<ArgumentException>(() => ApiRoutes.Path(ApiRoutes.Status, "x")).Message);
    }

    /// <summary>
    /// The API is what the CLI's offline commands, the demo and (later) the CNI plugin share with the agent: it must not
    /// pull the agent, the datapath or the BPF toolkit in with it.
    /// </summary>
    [Fact]
    public void The_API_needs_the_policy_engine_and_nothing_of_the_agent_or_the_kernel()
    {
        var references = typeof(ApiRoutes).Assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Membrane.", StringComparison.Ordinal)).Order();
        Assert.Equal(["Membrane.Policy", "Membrane.Policy.Engine"], references.Where(n => n != "Membrane.Policy.Validation"));
    }

    [Fact]
    public void A_problem_names_its_kind_as_a_urn()
    {
        var problem = new ApiProblem(ApiProblem.TypeOf("map-full"), "A map is full", 507, "refused");
        var json = System.Text.Json.JsonSerializer.Serialize(problem, ApiJsonContext.Default.ApiProblem);
        Assert.Contains("\"type\": \"urn:membrane:problem:map-full\"", json);
        Assert.Contains("\"detail\": \"refused\"", json);
        Assert.Contains("\"status\": 507", json);
    }
}
