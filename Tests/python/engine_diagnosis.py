#!/usr/bin/env python3
"""Per-target diagnosis of an engine validation's differentiating rows, by target category.

    engine_diagnosis.py RESULTS.json KEEPDIR SCREENPLAN_BIN [REGIME ...]

RESULTS.json and KEEPDIR are an `engine_validation.py --json RESULTS.json --keep KEEPDIR` run.
Per engine and regime: the bins, then rejected − predicted per category of target: the lineage
module (G0001–G0004 of the generated network), targets below 1 UMI per control cell, targets whose
control cells differ by state (between-state CV² > 0.1 in the kept screens' control cells,
normalised by library size), and the rest. SCREENPLAN_BIN's `analyze` gives each target's UMIs.
docs/batching.md, section 8.1, "Differentiating regimes against the engines", has its table."""
import collections
import json
import pathlib
import subprocess
import sys
import numpy as np
import pandas as pd
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import engine_validation as ev
res = json.load(open(sys.argv[1])); keep = pathlib.Path(sys.argv[2]); binp = sys.argv[3]
extra = sys.argv[4:]  # 'regime' filters
cache = {}
def analyze(regime, test, targets, cells):
    k = (regime, test)
    if k not in cache:
        p = keep / ('diag-%s-%s.yaml' % (regime, test)); p.write_text(ev.design_text(regime, test, targets, cells))
        d = json.loads(subprocess.run([binp, 'analyze', str(p), '--json'], capture_output=True, text=True).stdout)
        cache[k] = {q['name']: q for q in d['perturbations']}
    return cache[k]
# state info per regime/seed: control cells' between-state CV2 of each target (counts/lib by state)
stinfo = {}
def states(regime, seed):
    k = (regime, seed)
    if k in stinfo: return stinfo[k]
    f = keep / ('%s-%d' % (regime, seed))
    if not f.exists(): stinfo[k] = None; return None
    s = ev.Screen(f)
    members, nt = s.groups(False)
    ctrl = np.concatenate([np.array(v) for v in nt.values()])
    lab = s.cells['state'].to_numpy()[ctrl]
    C = s.counts[ctrl].toarray(); X = C / s.library[ctrl][:, None] * np.median(s.library[ctrl])
    out = {}
    labs = sorted(set(lab))
    for gi, g in enumerate(s.genes):
        x = X[:, gi]; m = x.mean()
        if m <= 0: continue
        w = np.array([np.mean(lab == l) for l in labs]); mu = np.array([x[lab == l].mean() for l in labs])
        out[g] = dict(umi=m, zero=float(np.mean(C[:, gi] == 0)),
                      bcv2=float((w * mu**2).sum() / m**2 - 1))
    stinfo[k] = (out, dict(collections.Counter(lab)))
    return stinfo[k]
for r in res:
    if extra and r['regime'] not in extra: continue
    an = analyze(r['regime'], r['test'], r.get('targets', 100), r.get('cells', 25))
    rows = []
    for d in r['details']:
        q = an.get(d['perturbation']);
        if q is None or q.get('power') is None: continue
        si = states(r['regime'], d['seed'])
        g = q['target']; gi = int(g[1:])
        info = si[0].get(g, {}) if si else {}
        rows.append(dict(p=d['perturbation'], seed=d['seed'], pred=d['predicted'], rej=float(d['p_value'] < ev.ALPHA),
                         module=gi <= 4, umi=q['target_umis'], eff=q['target_effect'], bcv2=info.get('bcv2', np.nan),
                         zero=info.get('zero', np.nan), simumi=info.get('umi', np.nan)))
    df = pd.DataFrame(rows)
    print('==', r['regime'], r['engine'], 'tests', len(df), 'pred %.3f rej %.3f' % (df.pred.mean(), df.rej.mean()))
    bins, gap, se = ev.calibration(list(zip(df.pred, df.rej.astype(bool))))
    print('  gap %.3f ± %.3f  ' % (gap, se) + '; '.join('%.2f→%.2f (%d)' % (b['predicted'], b['empirical'], b['n']) for b in bins))
    df['cat'] = np.where(df.module, 'module', np.where(df.bcv2 > 0.1, 'state>0.1', np.where(df.umi < 1, 'low<1', 'other')))
    for c, sub in df.groupby('cat'):
        print('  %-10s n=%3d pred %.3f rej %.3f  diff %+.3f ± %.3f' % (c, len(sub), sub.pred.mean(), sub.rej.mean(),
              sub.rej.mean() - sub.pred.mean(), np.sqrt((sub.pred * (1 - sub.pred)).sum()) / len(sub)))
    if True:
        mod = df[df.module]
        for _, x in mod.iterrows():
            print('    module %s s%d pred %.2f rej %d umi %.2f sim %.2f eff %.2f' % (x.p, x.seed, x.pred, x.rej, x.umi, x.simumi, x.eff))
    df.to_csv(keep / ('diag-%s-%s.tsv' % (r['regime'], r['engine'])), sep='\t', index=False)
