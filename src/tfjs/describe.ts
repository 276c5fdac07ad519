// The backend report as text for %backend: the one-line summary, then every probe.
import type { BackendReport } from "./select";

export function describeReport(report: BackendReport): string {
  const lines = [report.describe()];
  for (const probe of report.probes) {
    lines.push(`  ${probe.ok ? "ok  " : "no  "}${probe.name}: ${probe.detail}`);
  }
  if (report.threads !== undefined) lines.push(`  threads: ${report.threads}`);
  return lines.join("\n");
}
