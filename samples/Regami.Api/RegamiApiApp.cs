namespace Regami.Api;
public static class RegamiApiApp { public static void Run(string[] args) { } }
