import Foundation
import ScreenplanCore

// MARK: - Messages from background work to the UI loop

/// A locked queue: background tasks post, the UI loop drains between key reads. The loop never
/// waits on a task, so a slow evaluation or simulation cannot freeze the screen.
final class Mailbox: Sendable {
    private let messages = Locked([Msg]())
    /// The evaluation task ended: the runner's own signal (it starts the evaluation that waited),
    /// never a message for `update`.
    private let evaluationEnded = Locked(false)

    func post(_ message: Msg) {
        messages.withLock { $0.append(message) }
    }

    /// Says that the evaluation task ended (after its last `.evaluated` message).
    func postEvaluationDone() {
        evaluationEnded.withLock { $0 = true }
    }

    /// The messages posted since the last call, and whether the evaluation task ended meanwhile.
    func drain() -> (messages: [Msg], evaluationDone: Bool) {
        // The flag first: an evaluation that ends between the two reads is seen next time, after
        // its messages (which it posted before the flag).
        let done = evaluationEnded.withLock { flag -> Bool in
            defer { flag = false }
            return flag
        }
        let queue = messages.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
        return (queue, done)
    }
}
