namespace Regami.Dr.Server;
