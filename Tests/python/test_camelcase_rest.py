"""scripts/camelcase_rest.py without swift-format: the names it picks, that a local is renamed in
code only, and that a renamed member of a Codable type keeps its file key."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
import camelcase_rest as rest  # noqa: E402
from camelcase import parse  # noqa: E402
from swiftsource import lex, masked  # noqa: E402


def test_new_names():
    assert rest.new_name("Sources/A/Training.swift", "maxStep_h") == "maxStepH"
    assert rest.new_name("Sources/A/SimulationModel.swift", "slowestRelaxationRate_per_h") == "slowestRelaxationRatePerH"
    assert rest.new_name("Sources/A/CellSetup.swift", "where_") == "location"
    assert rest.new_name("Sources/A/BlockDynamics.swift", "X") == "xP"
    assert rest.new_name("Sources/A/Other.swift", "X") == "x"


def test_a_local_is_renamed_in_code_not_in_strings_or_comments():
    src = 'func f() {\n    // where_ is a plan position\n    let where_ = 1\n    print("where_ \\(where_)")\n}\n'
    out = rest.rename(src, "where_", "location", comments=False)
    assert "let location = 1" in out and '"where_ \\(location)"' in out and "// where_ is" in out


def test_a_codable_member_keeps_its_key():
    src = "public struct T: Codable {\n    public var maxStep_h: Double = 6\n    public var hidden = 1\n}\n"
    frame = next(f for f in parse(masked(src, lex(src)), "t.swift") if f.name == "T")
    assert rest.codable(frame, {"t.swift": src})
    kept, how = rest.keep_keys({"t.swift": src}, "t.swift", frame, {"maxStep_h": "maxStepH"})
    out = rest.rename(kept, "maxStep_h", "maxStepH", comments=True)
    assert how == "CodingKeys added"
    assert 'case maxStepH = "maxStep_h"' in out and "case hidden" in out and "var maxStepH" in out
    # With CodingKeys already there, the case gets the old name as raw value.
    src = ("struct U: Codable {\n    var maxStep_h = 6.0\n    enum CodingKeys: String, CodingKey {\n"
           "        case maxStep_h\n    }\n}\n")
    frame = next(f for f in parse(masked(src, lex(src)), "u.swift") if f.name == "U")
    kept, how = rest.keep_keys({"u.swift": src}, "u.swift", frame, {"maxStep_h": "maxStepH"})
    assert 'case maxStepH = "maxStep_h"' in rest.rename(kept, "maxStep_h", "maxStepH", comments=True)
