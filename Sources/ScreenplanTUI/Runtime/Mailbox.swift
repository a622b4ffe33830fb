import Foundation

// MARK: - Messages from background work to the UI loop

/// A locked queue: background tasks post, the UI loop drains between key reads. The loop never
/// waits on a task, so a slow evaluation or simulation cannot freeze the screen.
final class Mailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Msg] = []

    func post(_ message: Msg) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    func drain() -> [Msg] {
        lock.lock()
        defer { lock.unlock() }
        let out = messages
        messages.removeAll()
        return out
    }
}
