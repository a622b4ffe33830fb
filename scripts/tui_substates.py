#!/usr/bin/env python3
"""Rewrite uses of the AppState fields that moved into per-screen sub-states (ScreenStates.swift).

`state.tree` became `state.designScreen.tree`, `state.table` `state.analysisScreen.table`,
`state.job` `state.simulateScreen.job`, `state.exportPath` `state.exportScreen.path`, and so on
(MAP below). Code merged from a branch that still uses the old names is rewritten with

    python3 scripts/tui_substates.py FILE...     # e.g. $(git diff --name-only main -- '*.swift')

Only accesses on the receivers the TUI code and its tests use for an AppState are rewritten
(`s.`, `state.`, `next.`, `applied.`, `shown.`, `t.`, and `).0.` on update's result); run it on
TUI sources and tests only, build, and check the rest by hand. Idempotent. Standard library only.
"""
import re, sys, pathlib
MAP = {
 "tree": "designScreen.tree",
 "layoutRows": "layoutScreen.rows", "layoutColumn": "layoutScreen.column",
 "recommendation": "analysisScreen.recommendation", "appliedRecommendations": "analysisScreen.appliedRecommendations",
 "showEffectPlot": "analysisScreen.showEffectPlot", "showTable": "analysisScreen.showTable", "table": "analysisScreen.table",
 "showDownstream": "analysisScreen.showDownstream", "downstream": "analysisScreen.downstream",
 "downstreamNote": "analysisScreen.downstreamNote", "downstreamGeneration": "analysisScreen.downstreamGeneration",
 "tableSort": "analysisScreen.tableSort", "tableDescending": "analysisScreen.tableDescending",
 "tableRowOrder": "analysisScreen.tableRowOrder",
 "compareColumn": "compareScreen.column", "otherDesign": "compareScreen.otherDesign",
 "compareDesigns": "compareScreen.showsDesigns", "pins": "compareScreen.pins", "pinColumn": "compareScreen.pinColumn",
 "jobChoice": "simulateScreen.jobChoice", "jobParameters": "simulateScreen.jobParameters", "job": "simulateScreen.job",
 "nextJobID": "simulateScreen.nextJobID", "writableJob": "simulateScreen.writableJob",
 "runOutputFormat": "simulateScreen.runOutputFormat",
 "exportFormat": "exportScreen.format", "exportPath": "exportScreen.path",
}
RX = re.compile(r"(\b(?:s|state|next|applied|shown|t)|\)\.0)\.(" + "|".join(sorted(MAP, key=len, reverse=True)) + r")\b")
total = 0
for path in sys.argv[1:]:
    if path.endswith(("Core/State.swift", "Core/ScreenStates.swift")):
        continue  # the declarations themselves
    p = pathlib.Path(path)
    src = p.read_text()
    new, n = RX.subn(lambda m: f"{m.group(1)}.{MAP[m.group(2)]}", src)
    if n:
        p.write_text(new)
        total += n
        print(f"{path}: {n}")
print("total", total)
