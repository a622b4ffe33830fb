"""The fast subset of the engine validation (engine_validation.py; `make validate` runs all of it):
predicted power against the rejection rate of scanpy's wilcoxon and t-test and of pysceptre on
screenplan's simulated counts of a small in vitro design (40 perturbations, 2 seeds), of pysceptre on
the high-MOI design (complement controls, 2 seeds), and uniform p-values on truth-null genes.

With 80 target tests a bin of width 0.1 holds too few tests for the 0.05 per-bin target (that is
the full table's job), so the check here pools the tests into two halves of predicted power and
requires |mean predicted − rejection rate| ≤ 0.05 + 3 binomial standard errors in each: a power
model that is off by more than that in either half fails."""
import numpy as np
import pytest

import engine_validation as ev

ENGINES = ["wilcoxon", "t-test", "pysceptre"]
# (regime, engine): the in vitro design with every engine, and the high-MOI design (complement
# controls) with pysceptre, where the simulator once sampled MOI times the analysis's cells.
CASES = [("in-vitro", e) for e in ENGINES] + [("high-moi", "pysceptre")]


@pytest.fixture(scope="module")
def results(screenplan):
    # The `screenplan` fixture fails early when no binary is built.
    out = {("in-vitro", r["engine"]): r for r in ev.validate(["in-vitro"], ENGINES, seeds=2, log=lambda m: None,
                                                             keep_records=True)}
    out.update({("high-moi", r["engine"]): r for r in ev.validate(["high-moi"], ["pysceptre"], seeds=2,
                                                                  log=lambda m: None, keep_records=True)})
    return out


@pytest.mark.parametrize("regime,engine", CASES)
def test_predicted_power_matches_the_engine(results, regime, engine):
    r = results[(regime, engine)]
    assert r["tests"] >= 60, "too few perturbations tested: %d" % r["tests"]
    predicted = np.array([p for p, _ in r["records"]])
    rejected = np.array([x for _, x in r["records"]], dtype=float)
    for name, sel in (("predicted < 0.5", predicted < 0.5), ("predicted ≥ 0.5", predicted >= 0.5)):
        if sel.sum() < 10:
            continue
        gap = rejected[sel].mean() - predicted[sel].mean()
        se = np.sqrt(np.sum(predicted[sel] * (1 - predicted[sel]))) / sel.sum()
        assert abs(gap) <= 0.05 + 3 * se, (
            "%s, %s: predicted %.3f, rejected %.3f (%d tests, se %.3f)\n%s"
            % (engine, name, predicted[sel].mean(), rejected[sel].mean(), sel.sum(), se, ev.markdown([r])))


@pytest.mark.parametrize("regime,engine", CASES)
def test_engine_p_values_are_uniform_on_truth_null_genes(results, regime, engine):
    r = results[(regime, engine)]
    assert r["null_tests"] >= 200
    assert r["ks_p"] > 0.01, ev.markdown([r])


def test_scanpy_one_call_gives_the_p_values_of_one_call_per_perturbation(screenplan, tmp_path):
    """The harness runs scanpy at low MOI as labs do, one rank_genes_groups call with every
    perturbation a group against the NT reference; that must be the same test as one call per
    perturbation (ranks and tie correction per group and reference)."""
    design = tmp_path / "in-vitro.yaml"
    design.write_text(ev.design_text("in-vitro", "wilcoxon", targets=12))
    ev.run(ev.binary(), "simulate", design, "--out", tmp_path / "sim", "--seed", 3)
    screen = ev.Screen(tmp_path / "sim")
    for method in ("wilcoxon",):  # the rank sum's ties are the delicate part; t-test is per group too
        together = ev.run_engine(method, screen, False, 3, one_call=True)
        apart = ev.run_engine(method, screen, False, 3, one_call=False)
        assert together[0].keys() == apart[0].keys() and len(together[0]) >= 10
        assert max(abs(together[0][p] - apart[0][p]) for p in together[0]) < 1e-12
        assert np.allclose(together[1], apart[1], rtol=0, atol=1e-12)


def test_downstream_powers_are_the_terms_of_de_genes(screenplan, tmp_path):
    """`analyze --downstream` lists the prediction the validation joins with each engine's test of
    a (perturbation, affected gene) pair: its powers are the terms of `de_genes` beyond the target."""
    design = tmp_path / "in-vitro.yaml"
    design.write_text(ev.design_text("in-vitro", "glm", targets=20))
    doc = ev.json.loads(ev.run(ev.binary(), "analyze", design, "--json", "--no-solve", "--downstream"))
    plain = ev.json.loads(ev.run(ev.binary(), "analyze", design, "--json", "--no-solve"))
    assert all("downstream" not in p for p in plain["perturbations"])
    listed = 0
    for p in doc["perturbations"]:
        genes = [g["gene"] for g in p["downstream"]]
        assert p["target"] not in genes and len(set(genes)) == len(genes)
        assert abs(p["power"] + sum(g["power"] for g in p["downstream"]) - p["de_genes"]) < 1e-9
        listed += len(genes)
    assert listed > 20
