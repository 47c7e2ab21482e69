using System.Net;
using System.Net.Sockets;

namespace Regami.Dr.Lab.Processes;

/// <summary>Checks that an address and port are free before a lab part binds them, and says who holds them.</summary>
public static class PortProbe
{
    public static bool IsFree(string address, int port, ProtocolType protocol = ProtocolType.Tcp)
    {
        try
        {
            using var socket = protocol == ProtocolType.Udp
                ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), port));
            if (protocol == ProtocolType.Tcp) socket.Listen(1);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>"pid 1234 (postgres)" as `ss` reports the listener, or a hint to find it.</summary>
    public static string Holder(string address, int port, ProtocolType protocol = ProtocolType.Tcp)
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("ss") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-H", protocol == ProtocolType.Udp ? "-lunp" : "-ltnp", $"src {address}:{port}" }) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(2000);
            var users = output.IndexOf("users:((", StringComparison.Ordinal);
            if (users >= 0)
            {
                var inner = output[(users + 8)..];
                var end = inner.IndexOf(')');
                var parts = (end > 0 ? inner[..end] : inner).Split(',');
                var name = parts[0].Trim('"');
                var pid = parts.FirstOrDefault(x => x.StartsWith("pid=", StringComparison.Ordinal))?[4..];
                return $"pid {pid} ({name})";
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
        return $"an unknown process (find it with `ss -ltnp 'sport = :{port}'`)";
    }
}
