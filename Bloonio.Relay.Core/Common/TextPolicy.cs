using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Bloonio.Relay.Core.Common;

/// <summary>Marks text that may span lines (a message, an FAQ answer): tab, line feed and carriage return are allowed in it.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class MultilineTextAttribute : Attribute;

/// <summary>Marks a property that is the request's body itself: its fields are named from the root (<c>faq[0].answer</c>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class RequestBodyAttribute : Attribute;

/// <summary>
/// The input policy every request goes through before its validators (one place, REST and hubs alike): no text field may
/// hold a C0 control character (U+0000–U+001F) or DEL, except tab, line feed and carriage return in multi-line text, and
/// no unpaired UTF-16 surrogate (it has no UTF-8 form: PostgreSQL could not store it). It walks the request's strings,
/// lists of strings, dictionaries (keys and values) and JSON values (object keys included), and nested records of the
/// relay's own types, and names each failing field by its JSON path (<c>metadata.plan</c>, <c>routing_keys[1]</c>).
/// </summary>
public static class TextPolicy
{
    private const int MaxDepth = 64;
    private static readonly ConcurrentDictionary<Type, Accessor[]> Accessors = new();

    private sealed record Accessor(string Name, Func<object, object?> Get, bool Multiline, bool Root);

    public static List<FieldError> Check(object request)
    {
        var errors = new List<FieldError>();
        Walk(request, "", multiline: false, errors, 0);
        return errors;
    }

    /// <summary>What is wrong with this text, or null when it is acceptable.</summary>
    public static string? Problem(string text, bool multiline)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 || c == 0x7F)
            {
                if (multiline && c is '\t' or '\n' or '\r')
                {
                    continue;
                }

                return c == 0 ? "must not contain NUL characters" : $"must not contain control characters (U+{(int)c:X4})";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return "must be valid Unicode (an unpaired surrogate)";
            }
        }

        return null;
    }

    /// <summary>The text without what the policy forbids (for text from other services, which we store but do not refuse).</summary>
    public static string? Clean(string? text, bool multiline) =>
        text is null || Problem(text, multiline) is null ? text : Rewrite(text, _ => "", multiline);

    private static void Walk(object? value, string path, bool multiline, List<FieldError> errors, int depth)
    {
        if (value is null || depth > MaxDepth)
        {
            return;
        }

        switch (value)
        {
            case string text:
                if (Problem(text, multiline) is { } problem)
                {
                    errors.Add(new FieldError(path, problem));
                }

                return;
            case JsonElement json:
                WalkJson(json, path, errors, depth);
                return;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                {
                    var key = entry.Key as string ?? "";
                    var at = Join(path, key);
                    if (Problem(key, multiline: false) is { } keyProblem)
                    {
                        errors.Add(new FieldError(at, "key " + keyProblem));
                    }

                    Walk(entry.Value, at, multiline, errors, depth + 1);
                }

                return;
            case IEnumerable items:
                var index = 0;
                foreach (var item in items)
                {
                    Walk(item, $"{path}[{index++}]", multiline, errors, depth + 1);
                }

                return;
        }

        var type = value.GetType();
        if (type.Assembly != typeof(TextPolicy).Assembly || type.IsEnum || type.IsPrimitive)
        {
            return; // Guid, dates, numbers: nothing to check
        }

        foreach (var accessor in Accessors.GetOrAdd(type, Build))
        {
            Walk(accessor.Get(value), accessor.Root ? path : Join(path, accessor.Name), accessor.Multiline, errors, depth + 1);
        }
    }

    private static void WalkJson(JsonElement json, string path, List<FieldError> errors, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        switch (json.ValueKind)
        {
            case JsonValueKind.String:
                if (Problem(Read(json), multiline: true) is { } problem)
                {
                    errors.Add(new FieldError(path, problem));
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in json.EnumerateObject())
                {
                    var name = ReadName(property);
                    var at = Join(path, name);
                    if (Problem(name, multiline: false) is { } keyProblem)
                    {
                        errors.Add(new FieldError(at, "key " + keyProblem));
                    }

                    WalkJson(property.Value, at, errors, depth + 1);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in json.EnumerateArray())
                {
                    WalkJson(item, $"{path}[{index++}]", errors, depth + 1);
                }

                break;
        }
    }

    /// <summary>A JSON string; an escaped unpaired surrogate (<c>"\ud800"</c>) cannot be read as one, and is reported as such.</summary>
    private static string Read(JsonElement json)
    {
        try
        {
            return json.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Unpaired; // reported as invalid Unicode
        }
    }

    private static string ReadName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return Unpaired;
        }
    }

    private const string Unpaired = "\ud800";

    /// <summary>The path of a field, printable whatever its keys hold (control characters escaped, broken surrogates replaced).</summary>
    private static string Join(string path, string name)
    {
        var printable = Problem(name, multiline: false) is null ? name : Rewrite(name, c => $"\\u{(int)c:x4}");
        return path.Length == 0 ? printable : $"{path}.{printable}";
    }

    /// <summary>The text with unpaired surrogates replaced by U+FFFD and each forbidden control character by <paramref name="control"/>.</summary>
    private static string Rewrite(string text, Func<char, string> control, bool multiline = false)
    {
        var result = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                result.Append('\uFFFD');
            }
            else if ((c < 0x20 || c == 0x7F) && !(multiline && c is '\t' or '\n' or '\r'))
            {
                result.Append(control(c));
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    private static Accessor[] Build(Type type)
    {
        var parameters = type.GetConstructors().SelectMany(c => c.GetParameters()).ToList();
        bool Marked<T>(PropertyInfo p) where T : Attribute =>
            p.GetCustomAttribute<T>() is not null || parameters.Any(a => a.Name == p.Name && a.GetCustomAttribute<T>() is not null);
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && Worth(p.PropertyType))
            .Select(p => new Accessor(
                JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name),
                p.GetValue,
                Marked<MultilineTextAttribute>(p),
                Marked<RequestBodyAttribute>(p)))
            .ToArray();
    }

    /// <summary>Types that can hold text: strings, JSON, collections, and the relay's own records.</summary>
    private static bool Worth(Type type) =>
        type == typeof(string) || type == typeof(JsonElement) || type == typeof(JsonElement?)
        || (typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(byte[]))
        || (type.Assembly == typeof(TextPolicy).Assembly && !type.IsEnum);
}
