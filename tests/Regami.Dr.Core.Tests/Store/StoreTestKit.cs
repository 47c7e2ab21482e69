using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Store;

namespace Regami.Dr.Core.Tests.Store;

/// <summary>A state directory under the temp folder, removed after the test.</summary>
internal sealed class TempStateDirectory : IDisposable
{
    public TempStateDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "regami-dr-store-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string DatabasePath => System.IO.Path.Combine(Path, StateStore.DatabaseFileName);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Raw SQL against the store's file from outside the store, the way someone with shell access
/// would tamper with it (its own connection, no pooling).
/// </summary>
internal static class RawSql
{
    public static int Execute(string databasePath, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(string databasePath, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

internal static class StoreTimes
{
    public static readonly DateTimeOffset Now = new(2026, 11, 24, 21, 30, 0, TimeSpan.Zero);

    public static FakeTimeProvider Clock() => new(Now);
}
