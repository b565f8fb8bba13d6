using Bloonio.Relay.Core.Attachments;
using SkiaSharp;

namespace Bloonio.Relay.Web.Attachments;

/// <summary>Images decoded and thumbnailed with SkiaSharp; what does not decode is not an image.</summary>
public sealed class SkiaImageProcessor : IImageProcessor
{
    /// <summary>Refused above this many pixels (a small file can claim a huge canvas: decompression bombs); 96 MB decoded.</summary>
    private const long MaxPixels = 24_000_000;

    /// <summary>Two decodes at a time per node: each may hold a full-size bitmap.</summary>
    private static readonly SemaphoreSlim Decoders = new(2);

    public ProcessedImage? Process(ReadOnlyMemory<byte> data, int maxSide)
    {
        Decoders.Wait();
        try
        {
            return Decode(data, maxSide);
        }
        finally
        {
            Decoders.Release();
        }
    }

    private static ProcessedImage? Decode(ReadOnlyMemory<byte> data, int maxSide)
    {
        using var stream = new MemoryStream(data.ToArray(), writable: false);
        using var codec = SKCodec.Create(stream);
        if (codec is null || (long)codec.Info.Width * codec.Info.Height is 0 or > MaxPixels)
        {
            return null;
        }

        // Every pixel must decode: a truncated or damaged file is refused, not shown half grey.
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        if (codec.GetPixels(info, bitmap.GetPixels()) != SKCodecResult.Success)
        {
            return null;
        }

        var scale = Math.Min(1.0, (double)maxSide / Math.Max(bitmap.Width, bitmap.Height));
        var size = new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale)));
        using var small = bitmap.Resize(size, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        if (small is null)
        {
            return null;
        }

        using var image = SKImage.FromBitmap(small);
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 90);
        return new ProcessedImage(bitmap.Width, bitmap.Height, encoded.ToArray(), "image/png");
    }
}
