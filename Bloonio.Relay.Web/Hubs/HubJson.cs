using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bloonio.Relay.Web.Http;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// The hubs' JSON: the relay's snake_case, and arguments whose field names also bind from camelCase (the official .NET
/// client's default naming) and PascalCase, so <c>clientMessageId</c> and <c>client_message_id</c> are the same field
/// (SPEC 6). Without this, System.Text.Json ignores the camelCase name and a retried Send stores the message twice.
/// Answers and events are written in snake_case only.
/// </summary>
public static class HubJson
{
    /// <summary>The relay's JSON without the renaming: what the converter below reads and writes with.</summary>
    private static readonly JsonSerializerOptions Plain = RelayJson.Options;

    public static void Configure(JsonSerializerOptions options)
    {
        RelayJson.Configure(options);
        options.Converters.Add(new AnyCaseNamesFactory());
    }

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        return options;
    }

    internal static bool IsRelayObject(Type type) =>
        type.Assembly.GetName().Name?.StartsWith("Bloonio.Relay", StringComparison.Ordinal) == true
        && !type.IsEnum && !type.IsPrimitive && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);

    private sealed class AnyCaseNamesFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => IsRelayObject(typeToConvert);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(AnyCaseNames<>).MakeGenericType(typeToConvert))!;
    }

    /// <summary>Rewrites an object's own field names to snake_case, then binds it with the relay's plain options.</summary>
    private sealed class AnyCaseNames<T> : JsonConverter<T>
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return JsonSerializer.Deserialize<T>(ref reader, Plain); // null, or the usual type error
            }

            using var document = JsonDocument.ParseValue(ref reader);
            var normalised = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(normalised))
            {
                writer.WriteStartObject();
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    writer.WritePropertyName(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
                    property.Value.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            return JsonSerializer.Deserialize<T>(normalised.WrittenSpan, Plain);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(T), Plain);
    }
}
