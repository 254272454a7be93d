using System.Reflection;
using Membrane.Agent.Hosting;
using Membrane.Agent.Node;
using Membrane.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Tests.Hosting;

/// <summary>The API's shape without an agent: every route the client knows is mapped, and every failure has its status.</summary>
public sealed class ApiMappingTests
{
    [Fact]
    public void The_host_maps_every_route_template_and_no_other()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        // Mapping only captures the agent; nothing is called until a request comes.
        InspectionRoutes.Map(app, null!, "node", new PinWatch());
        MonitorRoutes.Map(app);
        EndpointRoutes.Map(app, null!, null!, TimeSpan.Zero);
        NamespaceRoutes.Map(app, null!, null!, TimeSpan.Zero);
        PolicyRoutes.Map(app, null!, null!, TimeSpan.Zero, cluster: null);
        ClusterRoutes.Map(app, null!, member: null);

        var mapped = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!).ToHashSet();
        var templates = typeof(ApiRoutes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        Assert.Equal(templates.Order(), mapped.Order());
    }

    [Theory]
    [InlineData(404, "not-found")]
    [InlineData(409, "conflict")]
    [InlineData(400, "bad-request")]
    [InlineData(507, "map-full")]
    [InlineData(500, "state-directory")]
    [InlineData(500, "kernel-refused")]
    [InlineData(500, "change-failed")]
    [InlineData(503, "cluster-unavailable")]
    public void Each_kind_of_failure_answers_with_its_status_and_type(int status, string kind)
    {
        Exception failure = kind switch
        {
            "not-found" => new ResourceNotFoundException("endpoint", "web"),
            "conflict" => new ResourceConflictException("endpoint web exists already"),
            "bad-request" => new ArgumentException("labels: bad"),
            "map-full" => new Membrane.Datapath.Writing.MapFullException("mbr_policy", 10, 8, 4),
            "state-directory" => new Membrane.Agent.State.StateStoreException("write", "/var/lib/membrane/x.json", new UnauthorizedAccessException()),
            "kernel-refused" => new Membrane.Bpf.BpfException(Membrane.Bpf.BpfCommand.MapUpdateElem, 12),
            "cluster-unavailable" => new Membrane.Agent.Cluster.ClusterUnavailableException("etcd (http://10.0.0.1:2379) is out of reach: no answer within 5 s"),
            _ => new InvalidOperationException("the veth could not be made"),
        };

        var problem = ApiProblems.For(failure);
        Assert.NotNull(problem);
        Assert.Equal(status, problem.Status);
        Assert.Equal($"urn:membrane:problem:{kind}", problem.Type);
        if (kind == "map-full")
        {
            Assert.StartsWith("refused, and nothing was applied: ", problem.Detail);
        }
        else if (kind == "change-failed")
        {
            Assert.Equal(failure.Message, problem.Detail); // it says itself what it left
        }
        else if (status >= 500)
        {
            Assert.Contains("so nothing was applied", problem.Detail); // the agent took the change back whole
        }
        else
        {
            Assert.Equal(failure.Message, problem.Detail); // a client's error, in the words that name it
        }
    }

    [Fact]
    public void A_failure_no_kind_covers_is_an_internal_error()
    {
        Assert.Null(ApiProblems.For(new NullReferenceException()));
        Assert.Equal(StatusCodes.Status500InternalServerError, ApiProblems.Internal(new NullReferenceException("x")).Status);
    }
}
