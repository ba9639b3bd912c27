// The dev server's log call: a level, a fixed message and structured attributes (never a secret).
export type LogLevel = "INFO" | "WARN" | "ERROR";
export type LogFn = (level: LogLevel, msg: string, attrs?: Record<string, string | number>) => void;
