import ArgumentParser

/// The design file argument of every command that reads one design (analyze, fit, montecarlo,
/// optimize, report, simulate): declared once so its help text and name (`<design>`) are the
/// same everywhere. Commands that take several designs or an optional one keep their own.
struct DesignArgument: ParsableArguments {
    @Argument(help: "Design file (YAML or JSON).")
    var design: String
}
