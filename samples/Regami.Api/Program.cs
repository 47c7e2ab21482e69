// Standalone entry point. The Regami DR CLI hosts the same app in-process via RegamiApiApp.RunAsync.
Regami.Api.RegamiApiApp.Run(args);
