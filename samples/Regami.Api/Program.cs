Regami.Api.RegamiApiApp.Run(args);
