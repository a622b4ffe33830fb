/// The screenplan version, recorded in run.json and reports.
public enum ScreenplanVersion {
    public static let string = "0.1.0"
}
