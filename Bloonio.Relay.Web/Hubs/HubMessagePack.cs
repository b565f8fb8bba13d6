using System.Buffers;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// MessagePack for SDK clients, with the same contract as JSON: the relay's own types (arguments, results, events)
/// travel as maps with the same snake_case keys and the same values (ids and times as strings), and arguments bind from
/// snake_case, camelCase or PascalCase keys. Each such value is carried over System.Text.Json with
/// <see cref="HubJson.Options"/>, so the two protocols cannot drift apart; anything else uses SignalR's defaults.
/// </summary>
public static class HubMessagePack
{
    private const int MaxDepth = 32;

    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(RelayTypesResolver.Instance, DynamicEnumAsStringResolver.Instance, ContractlessStandardResolver.Instance))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    private static bool IsRelayType(Type type) => type.Assembly.GetName().Name?.StartsWith("Bloonio.Relay", StringComparison.Ordinal) == true;

    private sealed class RelayTypesResolver : IFormatterResolver
    {
        public static readonly RelayTypesResolver Instance = new();

        public IMessagePackFormatter<T>? GetFormatter<T>() => IsRelayType(typeof(T)) ? JsonBridge<T>.Instance : null;
    }

    private sealed class JsonBridge<T> : IMessagePackFormatter<T>
    {
        public static readonly JsonBridge<T> Instance = new();

        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
            Write(ref writer, JsonSerializer.SerializeToElement(value, value?.GetType() ?? typeof(T), HubJson.Options));

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var json = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(json))
            {
                Read(ref reader, writer, 0);
            }

            try
            {
                return JsonSerializer.Deserialize<T>(json.WrittenSpan, HubJson.Options)!;
            }
            catch (JsonException ex)
            {
                throw new MessagePackSerializationException($"Cannot bind {typeof(T).Name}: {ex.Message}", ex);
            }
        }
    }

    private static void Write(ref MessagePackWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteMapHeader(element.EnumerateObject().Count());
                foreach (var property in element.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Write(ref writer, property.Value);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    Write(ref writer, item);
                }

                break;
            case JsonValueKind.String:
                writer.Write(element.GetString());
                break;
            case JsonValueKind.Number when element.TryGetInt64(out var integer):
                writer.Write(integer);
                break;
            case JsonValueKind.Number:
                writer.Write(element.GetDouble());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.Write(element.GetBoolean());
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static void Read(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new MessagePackSerializationException($"Arguments nest deeper than {MaxDepth} levels");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var count = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < count; i++)
                {
                    json.WritePropertyName(reader.NextMessagePackType switch
                    {
                        MessagePackType.String => reader.ReadString()!,
                        MessagePackType.Integer => reader.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => throw new MessagePackSerializationException("Map keys must be strings"),
                    });
                    Read(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            case MessagePackType.Array:
                var length = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < length; i++)
                {
                    Read(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64:
                json.WriteNumberValue(reader.ReadUInt64());
                break;
            case MessagePackType.Integer:
                json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                var number = reader.ReadDouble();
                if (!double.IsFinite(number))
                {
                    throw new MessagePackSerializationException("Numbers must be finite");
                }

                json.WriteNumberValue(number);
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            default:
                throw new MessagePackSerializationException(
                    $"Unsupported MessagePack value ({reader.NextMessagePackType}): send strings, numbers, booleans, nil, arrays and maps, as in JSON");
        }
    }
}
