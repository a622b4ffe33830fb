import CNcursesw
import ScreenplanTUI

// MARK: - Drawing buffers with ncurses

/// Maps roles to colour pairs (or attributes on monochrome terminals and with NO_COLOR) and draws
/// the rows that changed, in runs of equal role.
final class Painter {
    let capabilities: Capabilities
    private var attributes: [Role: attr_t] = [:]

    init(capabilities: Capabilities) {
        self.capabilities = capabilities
        for role in Role.allCases { attributes[role] = attribute(for: role) }
    }

    private func attribute(for role: Role) -> attr_t {
        let colors: [Role: (Int32, Int32, attr_t)] = [
            .title: (sp_color_black(), sp_color_cyan(), sp_a_normal()),
            .selected: (sp_color_black(), sp_color_yellow(), sp_a_bold()),
            .heading: (sp_color_cyan(), -1, sp_a_bold()),
            .accent: (sp_color_yellow(), -1, sp_a_normal()),
            .good: (sp_color_green(), -1, sp_a_normal()),
            .warning: (sp_color_yellow(), -1, sp_a_bold()),
            .error: (sp_color_red(), -1, sp_a_bold()),
            .keyHint: (sp_color_black(), sp_color_white(), sp_a_normal()),
            .border: (sp_color_blue(), -1, sp_a_normal()),
            .dim: (-1, -1, sp_a_dim()),
            .edit: (sp_color_white(), sp_color_blue(), sp_a_bold()),
        ]
        // Monochrome and NO_COLOR: bold, reverse, underline and dim carry the meaning.
        let monochrome: [Role: attr_t] = [
            .title: sp_a_reverse(), .selected: sp_a_reverse() | sp_a_bold(), .heading: sp_a_bold(),
            .accent: sp_a_normal(), .warning: sp_a_bold(), .error: sp_a_bold() | sp_a_underline(),
            .keyHint: sp_a_reverse(), .dim: sp_a_dim(), .edit: sp_a_reverse() | sp_a_underline(),
            .good: sp_a_normal(), .border: sp_a_normal(),
        ]
        guard capabilities.color, let (fg, bg, extra) = colors[role] else {
            return monochrome[role] ?? sp_a_normal()
        }
        let pair = Int16(role.rawValue) + 1
        init_pair(pair, Int16(fg), Int16(bg))
        return sp_color_pair(pair) | extra
    }

    /// Draws the rows that changed since `previous`, in runs of equal role.
    func draw(_ buffer: Buffer, over previous: Buffer?) {
        let sameSize = previous.map { $0.width == buffer.width && $0.height == buffer.height } ?? false
        for y in 0..<buffer.height {
            if sameSize, let previous, (0..<buffer.width).allSatisfy({ previous[$0, y] == buffer[$0, y] }) {
                continue
            }
            var x = 0
            while x < buffer.width {
                let role = buffer[x, y].role
                var run = ""
                let start = x
                while x < buffer.width && buffer[x, y].role == role {
                    if !buffer[x, y].continuation { run.append(buffer[x, y].symbol) }
                    x += 1
                }
                _ = sp_put(Int32(y), Int32(start), run, attributes[role] ?? sp_a_normal())
            }
        }
        refresh()
    }
}
