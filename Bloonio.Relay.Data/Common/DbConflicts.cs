using Bloonio.Relay.Core.Common;
using Npgsql;

namespace Bloonio.Relay.Data.Common;

/// <summary>
/// The one place where a transaction that lost to another (deadlock 40P01, serialization failure 40001) is run again,
/// a bounded number of times; after that the caller gets 409 <c>conflict</c>, never a 500. With one lock order
/// everywhere this is a safety net, not a mechanism.
/// </summary>
public static class DbConflicts
{
    private const int Attempts = 3;

    public static async Task<T> RetryAsync<T>(Func<Task<T>> transaction)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transaction();
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                if (attempt == Attempts)
                {
                    throw new ConflictException(ErrorCodes.Conflict, "Another change to the same conversation won; try again");
                }
            }
        }
    }
}
