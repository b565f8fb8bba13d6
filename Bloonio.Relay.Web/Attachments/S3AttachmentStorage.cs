using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Bloonio.Relay.Core.Attachments;

namespace Bloonio.Relay.Web.Attachments;

/// <summary>Where an S3-compatible store is (<c>Relay:Attachments:S3:*</c>).</summary>
public sealed class S3StorageOptions
{
    /// <summary>The endpoint (https://s3.eu-west-3.amazonaws.com, http://minio:9000, an R2 account URL…).</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary>Bucket in the path (MinIO, most self-hosted stores) rather than in the host name.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>A prefix for every key, so one bucket can hold several relays' files.</summary>
    public string Prefix { get; set; } = "attachments/";
}

/// <summary>
/// Attachments in an S3-compatible store (docs/attachments.md), behind the same interface as the PostgreSQL default:
/// objects are private (the relay's signed links stay the only way to a file) and encrypted at rest by the store
/// (<c>AES256</c> server-side encryption is asked for on every write).
/// </summary>
public sealed class S3AttachmentStorage : IAttachmentStorage, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3StorageOptions _options;
    private readonly ILogger _logger;

    public S3AttachmentStorage(S3StorageOptions options, ILogger<S3AttachmentStorage> logger)
    {
        _options = options;
        _logger = logger;
        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), new AmazonS3Config
        {
            ServiceURL = options.ServiceUrl,
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // Checksums only where the API requires them: S3-compatible stores differ in what they accept beyond that.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken ct) => StoreAsync("write", async () =>
    {
        using var body = new MemoryStream(data.ToArray(), writable: false);
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket, Key = _options.Prefix + key, InputStream = body, ContentType = contentType,
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256, UseChunkEncoding = false,
        }, ct);
        return true;
    }, ct);

    public Task<byte[]?> GetAsync(string key, CancellationToken ct) => StoreAsync("read", async () =>
    {
        try
        {
            using var response = await _client.GetObjectAsync(_options.Bucket, _options.Prefix + key, ct);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, ct);
            return buffer.ToArray();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }, ct);

    public Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct) => StoreAsync("delete", async () =>
    {
        // DeleteObjects takes at most 1 000 keys; a key that is not there is not an error.
        foreach (var chunk in keys.Chunk(1000))
        {
            await _client.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = _options.Bucket, Quiet = true, Objects = chunk.Select(k => new KeyVersion { Key = _options.Prefix + k }).ToList(),
            }, ct);
        }

        return true;
    }, ct);

    /// <summary>A store that is down or refuses the relay is a dependency's failure: 503 with Retry-After, logged.</summary>
    private async Task<T> StoreAsync<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException
                                   || ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "The attachment store failed a {What}: {Message}", what, ex.Message);
            throw new Core.Common.UnavailableException("The file store is unavailable; retry in a few seconds");
        }
    }

    public void Dispose() => _client.Dispose();
}
