namespace Membrane.Policy.Validation.Schema;

/// <summary>
/// What each pattern of Cilium's CRDs asks for, in words. A finding never prints a regex: users
/// need to know what to write, not to read an expression. A pattern a newer CRD adds and this
/// table does not know gets a general description.
/// </summary>
internal static class CrdPatterns
{
    public static string Describe(string pattern) => pattern switch
    {
        _ when pattern.StartsWith("^([0-9]|[1-9][0-9]|1[0-9]{2}", StringComparison.Ordinal) =>
            "must be an ICMP type number from 0 to 255 or one of Cilium's CamelCase type names (such as EchoRequest)",
        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" =>
            "must be a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
        "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$" =>
            "must be a label value: empty, or letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        "^([-a-zA-Z0-9_]+[.]?)+$" => "must be a DNS name: letters, digits, '-' and '_', in labels separated by single dots",
        "^([-a-zA-Z0-9_*]+[.]?)+$" => "must be a DNS name pattern: letters, digits, '-', '_' and '*', in labels separated by single dots",
        _ when pattern.StartsWith("^(6553[0-5]", StringComparison.Ordinal) =>
            "must be a port number from 0 to 65535 or a port name (letters, digits and '-', with at least one letter)",
        "^(\\*?\\*\\.)?([-a-zA-Z0-9_]+\\.?)+$" => "must be a server name, optionally starting with *. or **.",
        "^\\PC*$" => "must hold printable characters only, no control or format characters",
        _ => "does not have the form this field requires",
    };
}
