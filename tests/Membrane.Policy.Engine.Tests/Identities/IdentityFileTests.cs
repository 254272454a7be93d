using System.Net;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tests.Identities;

/// <summary>
/// The identities file: one row per refused input with its exact finding, and what a valid file
/// adds. Nothing of an invalid file reaches the set.
/// </summary>
public sealed class IdentityFileTests
{
    private const string File = "ids.yaml";

    private const string NameRule =
        "a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string ValueRule =
        "a label value is empty or at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string Sources = "a label is [SOURCE:]KEY[=VALUE], with a source of k8s, reserved, cidr, any, unspec, container";

    public static TheoryData<string, string, FieldErrorKind, string, int, int, string> Refused() => new()
    {
        {
            "same labels twice", "identities:\n- labels: [k8s:app=a]\n- labels: [k8s:app=a]\n",
            FieldErrorKind.Duplicate, "identities[1].labels", 3, 11, "duplicate value \"k8s:app=a\": the same labels as identities[0] (line 2)"
        },
        {
            "same labels in another order and form", "identities:\n- labels: [k8s:b=2, k8s:a=1]\n- labels: \"k8s:a=1,k8s:b=2\"\n",
            FieldErrorKind.Duplicate, "identities[1].labels", 3, 11, "duplicate value \"k8s:a=1,k8s:b=2\": the same labels as identities[0] (line 2)"
        },
        {
            "same labels but for the namespace name Membrane adds",
            "identities:\n- labels: [k8s:io.kubernetes.pod.namespace=shop]\n- labels: [k8s:io.kubernetes.pod.namespace=shop, k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop]\n",
            FieldErrorKind.Duplicate, "identities[1].labels", 3, 11,
            "duplicate value \"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop,k8s:io.kubernetes.pod.namespace=shop\": the same labels as identities[0] (line 2)"
        },
        {
            "same id twice", "identities:\n- labels: [k8s:app=a]\n  id: 300\n- labels: [k8s:app=b]\n  id: 300\n",
            FieldErrorKind.Duplicate, "identities[1].id", 5, 7, "duplicate value \"300\": the same number as identities[0] (line 3)"
        },
        {
            "one address on two identities", "identities:\n- labels: [k8s:app=a]\n  ips: [10.0.0.1]\n- labels: [k8s:app=b]\n  ips: [10.0.0.1]\n",
            FieldErrorKind.Duplicate, "identities[1].ips[0]", 5, 9,
            "duplicate value \"10.0.0.1\": it is already the address of identities[0].ips[0]; the IP cache maps an address to one identity"
        },
        {
            "one address twice on one identity", "identities:\n- labels: [k8s:app=a]\n  ips: [fd00::1, 'fd00:0::1']\n",
            FieldErrorKind.Duplicate, "identities[0].ips[1]", 3, 18,
            "duplicate value \"fd00::1\": this identity has it already at identities[0].ips[0]; the IP cache maps an address to one identity"
        },
        {
            "empty label list", "identities:\n- labels: []\n",
            FieldErrorKind.Required, "identities[0].labels", 2, 11, "required value: no labels; an endpoint needs at least one, like k8s:app=web"
        },
        {
            "empty label string", "identities:\n- labels: ''\n",
            FieldErrorKind.Required, "identities[0].labels", 2, 11, "required value: no labels; an endpoint needs at least one, like k8s:app=web"
        },
        {
            "label string of commas", "identities:\n- labels: ','\n",
            FieldErrorKind.Required, "identities[0].labels", 2, 11, "required value: \",\" has an empty label (two commas, or a comma at one end)"
        },
        {
            "null labels", "identities:\n- labels:\n  id: 300\n",
            FieldErrorKind.Required, "identities[0].labels", 2, 10, "required value: no labels; an endpoint needs at least one, like k8s:app=web"
        },
        {
            "no labels", "identities:\n- id: 300\n",
            FieldErrorKind.Required, "identities[0].labels", 2, 3, "required value: an identity needs labels, like [k8s:app=web]"
        },
        {
            "a second document", "identities: []\n---\nidentities: []\n",
            FieldErrorKind.Forbidden, "", 3, 1, "a second YAML document; an identities file is one document with one identities list"
        },
        {
            "unknown field", "identities:\n- labels: [k8s:app=a]\n  ip: [10.0.0.1]\n",
            FieldErrorKind.UnknownField, "identities[0].ip", 3, 3,
            "unknown field \"ip\": not a field of an identity; an identity has labels, id, ips and namedPorts; did you mean \"id\"?"
        },
        {
            "unknown top-level field", "identity:\n- labels: [k8s:app=a]\n",
            FieldErrorKind.UnknownField, "identity", 1, 1, "unknown field \"identity\": not a field of an identities file; it has identities; did you mean \"identities\"?"
        },
        {
            "misspelt labels", "identities:\n- lables: [k8s:app=a]\n",
            FieldErrorKind.UnknownField, "identities[0].lables", 2, 3,
            "unknown field \"lables\": not a field of an identity; an identity has labels, id, ips and namedPorts; did you mean \"labels\"?"
        },
        {
            "not an object", "- labels: [k8s:app=a]\n",
            FieldErrorKind.Invalid, "", 1, 1, "an identities file is an object with an identities list, found a list"
        },
        {
            "identities not a list", "identities: {labels: [k8s:app=a]}\n",
            FieldErrorKind.Invalid, "identities", 1, 13, "must be a list, found an object"
        },
        {
            "an identity not an object", "identities:\n- k8s:app=a\n",
            FieldErrorKind.Invalid, "identities[0]", 2, 3, "must be an object with labels, found a string"
        },
        {
            "labels a number", "identities:\n- labels: 5\n",
            FieldErrorKind.Invalid, "identities[0].labels", 2, 11, "must be a list of source:key=value labels, found a number"
        },
        {
            "a label value not a string", "identities:\n- labels: {app: on}\n",
            FieldErrorKind.Invalid, "identities[0].labels.app", 2, 17, "a label must be a string, found a boolean; quote it"
        },
        {
            "a label without a key", "identities:\n- labels: [=web]\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, "\"=web\": a label needs a key; write source:key=value, like k8s:app=web"
        },
        {
            "a control character at the end of a label", "identities:\n- labels: [\"k8s:app=x\\n\"]\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, $"\"k8s:app=x\\n\": {ValueRule}"
        },
        {
            "a space at the start of a label", "identities:\n- labels: [' k8s:app=x']\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, $"\" k8s:app=x\": \" k8s\" is not a label source; {Sources}"
        },
        {
            "a tab at the end of a key", "identities:\n- labels: [\"k8s:app\\t=x\"]\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, $"\"k8s:app\\t=x\": {NameRule}"
        },
        {
            "a bidirectional override in a value", "identities:\n- labels: [k8s:io.kubernetes.pod.namespace=shop, \"k8s:app=\\u202Ebew\"]\n",
            FieldErrorKind.Invalid, "identities[0].labels[1]", 2, 50, $"\"k8s:app=\\u202Ebew\": {ValueRule}"
        },
        {
            "a zero-width space in a map value", "identities:\n- labels: {app: \"web\\u200B\"}\n",
            FieldErrorKind.Invalid, "identities[0].labels.app", 2, 17, $"\"app=web\\u200B\": {ValueRule}"
        },
        {
            "non-ASCII in a map key, named escaped in the path", "identities:\n- labels: {caf\u00E9: web}\n",
            FieldErrorKind.Invalid, "identities[0].labels[\"caf\\u00E9\"]", 2, 18, $"\"caf\\u00E9=web\": {NameRule}"
        },
        {
            "markup in a value", "identities:\n- labels: ['k8s:app=<b>x</b>']\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, $"\"k8s:app=<b>x</b>\": {ValueRule}"
        },
        {
            "a value of 64 characters", $"identities:\n- labels: [k8s:app={new string('v', 64)}]\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, $"\"k8s:app={new string('v', 64)}\": {ValueRule}"
        },
        {
            "a value beginning with '-'", "identities:\n- labels: [k8s:app=-web]\n",
            FieldErrorKind.Invalid, "identities[0].labels[0]", 2, 12, $"\"k8s:app=-web\": {ValueRule}"
        },
        {
            "a space after a comma in a labels string", "identities:\n- labels: 'k8s:app=web, k8s:tier=db'\n",
            FieldErrorKind.Invalid, "identities[0].labels", 2, 11, $"\" k8s:tier=db\": \" k8s\" is not a label source; {Sources}"
        },
        {
            "a labels string of spaces", "identities:\n- labels: '  '\n",
            FieldErrorKind.Invalid, "identities[0].labels", 2, 11, $"\"  \": {NameRule}"
        },
        {
            "one key, two values", "identities:\n- labels: [k8s:app=a, k8s:app=b]\n",
            FieldErrorKind.Invalid, "identities[0].labels", 2, 11, "the label k8s:app has two values, \"a\" and \"b\""
        },
        {
            "a reserved label", "identities:\n- labels: [reserved:host]\n",
            FieldErrorKind.Forbidden, "identities[0].labels[0]", 2, 12,
            "reserved: labels belong to the identities Membrane makes itself (reserved and CIDR identities), not to endpoints"
        },
        {
            "a reserved id", "identities:\n- labels: [k8s:app=a]\n  id: 2\n",
            FieldErrorKind.Invalid, "identities[0].id", 3, 7,
            "invalid value \"2\": endpoint identities are numbered 256 to 16777215; 1 to 255 are reserved identities, and 0 means any peer"
        },
        {
            "a CIDR id", "identities:\n- labels: [k8s:app=a]\n  id: 16777216\n",
            FieldErrorKind.Invalid, "identities[0].id", 3, 7,
            "invalid value \"16777216\": endpoint identities are numbered 256 to 16777215; 16777216 and above are the node's CIDR identities"
        },
        {
            "an id beyond 32 bits", "identities:\n- labels: [k8s:app=a]\n  id: 99999999999\n",
            FieldErrorKind.Invalid, "identities[0].id", 3, 7, "an identity number is a decimal number from 256 to 16777215, found \"99999999999\""
        },
        {
            "an id in hex", "identities:\n- labels: [k8s:app=a]\n  id: 0x100\n",
            FieldErrorKind.Invalid, "identities[0].id", 3, 7, "an identity number is a decimal number from 256 to 16777215, found \"0x100\""
        },
        {
            "an id as a string", "identities:\n- labels: [k8s:app=a]\n  id: \"300\"\n",
            FieldErrorKind.Invalid, "identities[0].id", 3, 7, "an identity number is a decimal number from 256 to 16777215, found a string"
        },
        {
            "a short IPv4 address", "identities:\n- labels: [k8s:app=a]\n  ips: [10.1]\n",
            FieldErrorKind.Invalid, "identities[0].ips[0]", 3, 9,
            "invalid value \"10.1\": not an IP address: an IPv4 address has four numbers, like 10.0.0.1; shortened forms such as 10.1 mean different addresses to different readers"
        },
        {
            "a leading zero", "identities:\n- labels: [k8s:app=a]\n  ips: [010.0.0.1]\n",
            FieldErrorKind.Invalid, "identities[0].ips[0]", 3, 9,
            "invalid value \"010.0.0.1\": not an IP address: a number in an IPv4 address has a leading zero, which some readers take as octal; remove it"
        },
        {
            "brackets", "identities:\n- labels: [k8s:app=a]\n  ips: ['[fd00::1]']\n",
            FieldErrorKind.Invalid, "identities[0].ips[0]", 3, 9, "invalid value \"[fd00::1]\": not an IP address: write an IPv6 address without brackets, like 2001:db8::1"
        },
        {
            "a zone", "identities:\n- labels: [k8s:app=a]\n  ips: ['fe80::1%eth0']\n",
            FieldErrorKind.Invalid, "identities[0].ips[0]", 3, 9,
            "invalid value \"fe80::1%eth0\": not an IP address: an address with a zone (%) names an interface, which a policy cannot"
        },
        {
            "ips a single address", "identities:\n- labels: [k8s:app=a]\n  ips: 10.0.0.1\n",
            FieldErrorKind.Invalid, "identities[0].ips", 3, 8, "must be a list of addresses, found a string; write one address as [10.0.0.1]"
        },
        {
            "a named port without protocol", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {http: '8080'}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.http", 3, 22, "invalid value \"8080\": a named port is PORT/PROTOCOL, like 8080/TCP"
        },
        {
            "a named port as a number", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {http: 8080}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.http", 3, 22, "invalid value \"8080\": a named port is PORT/PROTOCOL, like 8080/TCP"
        },
        {
            "a named port with a leading zero", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {http: 080/TCP}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.http", 3, 22,
            "invalid value \"080/TCP\": the port of a named port is a decimal number from 1 to 65535, without leading zeros"
        },
        {
            "a named port 0", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {http: 0/TCP}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.http", 3, 22,
            "invalid value \"0/TCP\": the port of a named port is a decimal number from 1 to 65535, without leading zeros"
        },
        {
            "a named port in lower case", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {http: 80/tcp}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.http", 3, 22, "invalid value \"80/tcp\": the protocol of a named port is TCP, UDP or SCTP"
        },
        {
            "a named port over ICMP", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {ping: 8/ICMP}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.ping", 3, 22, "invalid value \"8/ICMP\": the protocol of a named port is TCP, UDP or SCTP"
        },
        {
            "a port name in capitals", "identities:\n- labels: [k8s:app=a]\n  namedPorts: {HTTP: 80/TCP}\n",
            FieldErrorKind.Invalid, "identities[0].namedPorts.HTTP", 3, 16,
            "invalid value \"HTTP\": a port name is 1 to 15 lower-case letters, digits and '-', with a letter, as Kubernetes names container ports"
        },
        {
            "a syntax error", "identities:\n- labels: [k8s:app=a\n",
            FieldErrorKind.Syntax, "", 3, 1, "YAML syntax error: While parsing a flow sequence, did not find expected ',' or ']'."
        },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Each_refused_input_gets_its_one_finding(string name, string yaml, FieldErrorKind kind, string path, int line, int column, string message)
    {
        var set = new IdentitySet();
        var findings = IdentityFile.Load(File, yaml, set);

        var finding = Assert.Single(findings);
        Assert.Equal((Severity.Error, kind, path, File, line, column, message),
            (finding.Severity, finding.Kind, finding.Path, finding.Position.File, finding.Position.Line, finding.Position.Column, finding.Message));
        Assert.True(set.Count == ReservedIdentities.All.Count, name);
        Assert.DoesNotContain("Parameter", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_label_is_named_by_file_line_column_and_field_escaped()
    {
        var findings = IdentityFile.Load(File, "identities:\n- labels: [k8s:app=web]\n- labels: [k8s:io.kubernetes.pod.namespace=shop, \"k8s:app=web\\u200B\"]\n", new IdentitySet());

        Assert.Equal(
            $"ids.yaml:3:50: error MBR7011: identities[1].labels[1]: \"k8s:app=web\\u200B\": {ValueRule}",
            Assert.Single(findings).ToString());
    }

    [Fact]
    public void All_errors_are_reported_at_once_in_file_order()
    {
        var findings = IdentityFile.Load(File, """
            identities:
            - labels: [k8s:app=a]
              id: 300
              ips: [10.0.0.1, 10.1]
            - labels: [k8s:app=a]
              id: 300
              ips: [10.0.0.1]
              namedPort: {http: 80/TCP}
            """, new IdentitySet());

        Assert.Equal(
            [
                ("identities[0].ips[1]", 4, FieldErrorKind.Invalid),
                ("identities[1].labels", 5, FieldErrorKind.Duplicate),
                ("identities[1].id", 6, FieldErrorKind.Duplicate),
                ("identities[1].ips[0]", 7, FieldErrorKind.Duplicate),
                ("identities[1].namedPort", 8, FieldErrorKind.UnknownField),
            ],
            findings.Select(f => (f.Path, f.Position.Line, f.Kind)));
    }

    [Fact]
    public void Labels_ids_and_addresses_already_in_the_set_are_refused()
    {
        var set = new IdentitySet();
        set.AddEndpoint(LabelSet.Parse("k8s:app=a"), 300, [IPAddress.Parse("10.0.0.1")]);
        var findings = IdentityFile.Load(File, "identities:\n- labels: [k8s:app=a]\n- labels: [k8s:app=b]\n  id: 300\n  ips: [10.0.0.1]\n", set);

        Assert.Equal(
            [
                ("MBR7024", "identities[0].labels", 2),
                ("MBR7022", "identities[1].id", 4),
                ("MBR7026", "identities[1].ips[0]", 5),
            ],
            findings.Select(f => (f.Code, f.Path, f.Position.Line)));
    }

    [Fact]
    public void A_valid_file_adds_its_identities_with_their_addresses_and_named_ports()
    {
        var set = new IdentitySet();
        var findings = IdentityFile.Load(File, """
            identities:
            - labels: [k8s:app=web, k8s:io.kubernetes.pod.namespace=shop]
              ips: [10.0.1.5, fd00::1:5]
              namedPorts: {http: 8080/TCP, dns: 53/UDP}
            - labels: "k8s:app=db,k8s:io.kubernetes.pod.namespace=shop"
              id: 256
            - labels: {app: cache}
            """, set);

        Assert.Empty(findings);
        var db = set.Find(LabelSet.Parse("k8s:app=db,k8s:io.kubernetes.pod.namespace=shop"))!;
        var web = set.Find(LabelSet.Parse("k8s:app=web,k8s:io.kubernetes.pod.namespace=shop"))!;
        var cache = set.Find(LabelSet.Parse("k8s:app=cache"))!;

        // The explicit 256 is taken first, so the identities without an id are numbered after it.
        Assert.Equal((256u, 257u, 258u), (db.Id, web.Id, cache.Id));
        Assert.Same(web, set.Lookup(IPAddress.Parse("fd00::1:5")));
        Assert.Equal(new NamedPort(53, L4Protocol.Udp), web.NamedPorts["dns"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("identities:\n")]
    [InlineData("identities: []\n")]
    [InlineData("# nothing\n")]
    public void An_empty_file_adds_nothing(string yaml)
    {
        var set = new IdentitySet();
        Assert.Empty(IdentityFile.Load(File, yaml, set));
        Assert.Equal(ReservedIdentities.All.Count, set.Count);
    }

    [Fact]
    public void Findings_past_the_limit_are_counted_in_one_line()
    {
        var yaml = "identities:\n" + string.Concat(Enumerable.Range(0, 1_500).Select(_ => "- labels: []\n"));
        var findings = IdentityFile.Load(File, yaml, new IdentitySet());

        Assert.Equal(1_001, findings.Length);
        Assert.Equal("ids.yaml: note MBR7027: 500 more errors not shown", findings[^1].ToString());
    }
}
