import Foundation
import ScreenplanCore

// MARK: - Messages from background work to the UI loop

/// A locked queue: background tasks post, the UI loop drains between key reads. The loop never
/// waits on a task, so a slow evaluation or simulation cannot freeze the screen.
final class Mailbox: Sendable {
    private let messages = Locked([Msg]())

    func post(_ message: Msg) {
        messages.withLock { $0.append(message) }
    }

    func drain() -> [Msg] {
        messages.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }
}
