using Bloonio.Relay.Core.Sessions;

namespace Bloonio.Relay.Core.Brain;

/// <summary>
/// Bot replies run off the visitor's request path: Send acknowledges once the message is stored, and a slow or dead
/// brain never holds a hub call (nor the human lane).
/// </summary>
public interface IBotLane
{
    void Enqueue(JournalMessage visitorMessage);
}
