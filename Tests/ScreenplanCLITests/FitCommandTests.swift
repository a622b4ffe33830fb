import Foundation
import TestSupport
import Testing

// `screenplan fit` as a user runs it: JSON contract, exit codes, nothing on stderr in a pipe.

@Suite struct FitCommand {
    @Test func jsonHasHeldOutErrorsPerLossAndBaseline() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/tiny.yaml"
        try tinyLearnabilityScreen.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan([
            "fit", path, "--json", "--folds", "2", "--epochs", "6", "--hidden", "4",
            "--seed", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // Progress goes to stderr only on a terminal; this is a pipe.
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        for key in ["heldout_mse", "heldout_pearson"] {
            let object = json?[key] as? [String: Any]
            for method in ["standard", "steady_state", "no_change", "mean_effect", "linear"] {
                #expect(object?[method] is Double, "\(key).\(method)")
            }
        }
        #expect((json?["per_fold"] as? [Any])?.count == 2)
        #expect(json?["mse_ratio_steady_state_to_standard"] is [String: Any])
        #expect(json?["seed"] as? Int == 3)
    }

    @Test func oneLossOnlyHasNoRatio() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/tiny.yaml"
        try tinyLearnabilityScreen.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan([
            "fit", path, "--loss", "standard", "--folds", "2", "--epochs", "3",
            "--hidden", "4", "--data", "kinetics",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("neural ODE, standard loss"))
        #expect(!result.stdout.contains("neural ODE, steady-state loss"))
    }

    @Test func badOptionsExitTwo() throws {
        let result = try runScreenplan(["fit", sampleScreen("k562-essential-crispri.yaml"), "--folds", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--folds"))
        let missing = try runScreenplan(["fit", "/nonexistent/design.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))
        #expect(!missing.stderr.contains("Fatal error"))
    }
}
