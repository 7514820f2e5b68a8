import RefineryCore
import Foundation

/// The tools that ship with Refinery.
public enum BuiltInTools {
    /// Every built-in tool, with file access confined to `folder` (the current directory by
    /// default) and Python run in a default ``PythonSandbox``.
    public static func all(folder: String? = nil) throws(ToolError) -> [AnyTool] {
        let root = folder ?? FileManager.default.currentDirectoryPath
        return [
            AnyTool(CalculatorTool()),
            AnyTool(CurrentDateTimeTool()),
            AnyTool(JSONQueryTool()),
            AnyTool(PythonTool()),
            AnyTool(ReadFileTool(folder: try ConfinedFolder(root))),
        ]
    }
}
