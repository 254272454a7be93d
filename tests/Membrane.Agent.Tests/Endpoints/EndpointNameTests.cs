using Membrane.Agent.Endpoints;

namespace Membrane.Agent.Tests.Endpoints;

public sealed class EndpointNameTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("db-1")]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")] // 32 characters
    public void DNS_labels_are_accepted(string name) => Assert.True(EndpointName.IsValid(name, out var error), error);

    [Theory]
    [InlineData("", "required")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "at most 32")]
    [InlineData("Web", "DNS label")]
    [InlineData("-web", "DNS label")]
    [InlineData("web-", "DNS label")]
    [InlineData("we_b", "DNS label")]
    [InlineData("we.b", "DNS label")]
    [InlineData("../etc", "DNS label")]
    [InlineData("web/db", "DNS label")]
    [InlineData("web\n", "DNS label")]
    [InlineData("web\0", "DNS label")]
    [InlineData("wéb", "DNS label")]
    [InlineData(" web", "DNS label")]
    public void Anything_else_is_refused_with_the_reason(string name, string reason)
    {
        Assert.False(EndpointName.IsValid(name, out var error));
        Assert.Contains(reason, error);
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => EndpointName.Check(name)).Message);
    }

    [Fact]
    public void Host_interface_names_fit_IFNAMSIZ_and_differ_by_node()
    {
        var name = HostInterfaceName.For("node-a", "abcdefghijklmnopqrstuvwxyz012345");
        Assert.True(name.Length <= 15, name);
        Assert.StartsWith("mbr", name);
        Assert.Equal(name, HostInterfaceName.For("node-a", "abcdefghijklmnopqrstuvwxyz012345"));
        Assert.NotEqual(name, HostInterfaceName.For("node-b", "abcdefghijklmnopqrstuvwxyz012345"));
    }
}
