namespace Bloonio.Relay.Core.Brain;

/// <summary>The brain failed, timed out or its circuit is open: the human lane carries on without it.</summary>
public sealed class BrainUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
