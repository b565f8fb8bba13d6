using Bloonio.Relay.Core.Attachments;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Attachments;

/// <summary>The built-in storage: bytes in <c>attachment_blobs</c> (bytea, stored out of line by PostgreSQL's TOAST).</summary>
public sealed class PostgresAttachmentStorage(NpgsqlDataSource dataSource) : IAttachmentStorage
{
    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO attachment_blobs (storage_key, data) VALUES (@key, @data) ON CONFLICT (storage_key) DO UPDATE SET data = EXCLUDED.data",
            new { key, data = data.ToArray() }, cancellationToken: ct));
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<byte[]?>(new CommandDefinition(
            "SELECT data FROM attachment_blobs WHERE storage_key = @key", new { key }, cancellationToken: ct));
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM attachment_blobs WHERE storage_key = ANY(@keys)", new { keys = keys.ToArray() }, cancellationToken: ct));
    }
}

public sealed class AttachmentRepository(NpgsqlDataSource dataSource) : IAttachmentRepository
{
    private static readonly string Columns = ColumnsOf("");

    private static string ColumnsOf(string alias) => $"""
        {alias}attachment_id AS AttachmentId, {alias}tenant_id AS TenantId, {alias}session_id AS SessionId, {alias}uploader_type AS UploaderType,
        {alias}uploader_id AS UploaderId, {alias}file_name AS FileName, {alias}content_type AS ContentType, {alias}size_bytes AS SizeBytes,
        {alias}width AS Width, {alias}height AS Height, {alias}has_thumbnail AS HasThumbnail, {alias}claimed_by AS ClaimedBy,
        {alias}created_at AS CreatedAt
        """;

    public async Task InsertAsync(Attachment a, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO attachments (attachment_id, tenant_id, session_id, uploader_type, uploader_id, file_name, content_type, size_bytes,
                                     width, height, has_thumbnail, created_at)
            VALUES (@AttachmentId, @TenantId, @SessionId, @UploaderType, @UploaderId, @FileName, @ContentType, @SizeBytes,
                    @Width, @Height, @HasThumbnail, @CreatedAt)
            """, a, cancellationToken: ct));
    }

    public async Task<Attachment?> FindAsync(Guid tenantId, Guid attachmentId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<AttachmentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM attachments WHERE tenant_id = @tenantId AND attachment_id = @attachmentId",
            new { tenantId, attachmentId }, cancellationToken: ct)))?.ToAttachment();
    }

    public async Task<(IReadOnlyList<Attachment> Taken, IReadOnlyList<Guid> Fresh)?> ClaimAsync(Guid tenantId, Guid sessionId, string uploaderType,
        Guid? uploaderId, IReadOnlyList<Guid> ids, string claim, CancellationToken ct)
    {
        var distinct = ids.Distinct().ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // All or none, decided by the rows' locks: two sends racing for one attachment, one gets it.
        var rows = (await connection.QueryAsync<AttachmentRow>(new CommandDefinition($"""
            SELECT {Columns} FROM attachments
            WHERE tenant_id = @tenantId AND session_id = @sessionId AND attachment_id = ANY(@distinct)
              AND uploader_type = @uploaderType AND uploader_id IS NOT DISTINCT FROM @uploaderId
              AND (claimed_by IS NULL OR claimed_by = @claim)
            ORDER BY attachment_id
            FOR UPDATE
            """, new { claim, tenantId, sessionId, distinct, uploaderType, uploaderId }, tx, cancellationToken: ct))).ToList();
        if (rows.Count != distinct.Length)
        {
            await tx.RollbackAsync(ct);
            return null;
        }

        var fresh = rows.Where(r => r.ClaimedBy is null).Select(r => r.AttachmentId).ToList();
        await connection.ExecuteAsync(new CommandDefinition("UPDATE attachments SET claimed_by = @claim WHERE attachment_id = ANY(@fresh)",
            new { claim, fresh = fresh.ToArray() }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (distinct.Select(id => rows.Single(r => r.AttachmentId == id).ToAttachment() with { ClaimedBy = claim }).ToList(), fresh);
    }

    public async Task ReleaseAsync(Guid tenantId, IReadOnlyList<Guid> ids, string claim, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE attachments SET claimed_by = NULL WHERE tenant_id = @tenantId AND attachment_id = ANY(@ids) AND claimed_by = @claim",
            new { tenantId, ids = ids.ToArray(), claim }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Attachment>> ExpiredAsync(DateTimeOffset cutoff, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AttachmentRow>(new CommandDefinition($"""
            SELECT {ColumnsOf("a.")}
            FROM attachments a JOIN sessions s ON s.session_id = a.session_id
            WHERE s.status = 'closed' AND s.closed_at < @cutoff LIMIT @limit
            """, new { cutoff, limit }, cancellationToken: ct))).Select(r => r.ToAttachment()).ToList();
    }

    public async Task DeleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM attachments WHERE attachment_id = ANY(@ids)", new { ids = ids.ToArray() }, cancellationToken: ct));
    }

    private sealed class AttachmentRow
    {
        public Guid AttachmentId { get; init; }
        public Guid TenantId { get; init; }
        public Guid SessionId { get; init; }
        public string UploaderType { get; init; } = "";
        public Guid? UploaderId { get; init; }
        public string FileName { get; init; } = "";
        public string ContentType { get; init; } = "";
        public int SizeBytes { get; init; }
        public int? Width { get; init; }
        public int? Height { get; init; }
        public bool HasThumbnail { get; init; }
        public string? ClaimedBy { get; init; }
        public DateTime CreatedAt { get; init; }

        public Attachment ToAttachment() => new(AttachmentId, TenantId, SessionId, UploaderType, UploaderId, FileName, ContentType, SizeBytes,
            Width, Height, HasThumbnail, ClaimedBy, Common.DbJson.Utc(CreatedAt));
    }
}
