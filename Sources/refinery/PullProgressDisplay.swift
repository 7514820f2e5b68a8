import RefineryCore
import RefineryInference
import Refinery
import Synchronization

/// Draws a pull's progress on standard error: a line redrawn in place on a terminal, one line
/// per stage otherwise (logs and CI).
final class PullProgressDisplay: Sendable {
    private struct State {
        var lastPhase: PullProgress.Phase?
        var lastPercent = -1
        var drawn = false
    }

    private let state = Mutex(State())
    private let terminal = StandardError.isTerminal

    /// Shows `progress`.
    func show(_ progress: PullProgress) {
        let percent = Int(progress.fraction * 100)
        let text: String
        switch progress.phase {
        case .verifying:
            text = "\(progress.model): verifying \(ByteCount.format(progress.completedBytes)) (\(percent)%)"
        case .downloading:
            text =
                "\(progress.model): downloading \(ByteCount.format(progress.completedBytes)) of about \(ByteCount.format(progress.totalBytes))"
        case .assembling:
            text =
                "\(progress.model): extracting and verifying \(ByteCount.format(progress.completedBytes)) (\(percent)%)"
        case .installed:
            text = "\(progress.model): installed, sha256 verified (\(ByteCount.format(progress.completedBytes)))"
        case .alreadyInstalled:
            text = "\(progress.model): already installed and verified"
        }
        let final = progress.phase == .installed || progress.phase == .alreadyInstalled
        state.withLock { state in
            defer {
                state.lastPhase = progress.phase
                state.lastPercent = percent
            }
            if terminal {
                StandardError.write("\r\u{1B}[K" + text + (final ? "\n" : ""))
                state.drawn = !final
            } else if state.lastPhase != progress.phase
                || (percent / 25 != state.lastPercent / 25 && progress.phase != .downloading)
            {
                StandardError.line(text)
            }
        }
    }

    /// Ends a line left open by a terminal redraw.
    func finish() {
        state.withLock { state in
            if state.drawn {
                StandardError.write("\n")
                state.drawn = false
            }
        }
    }
}
