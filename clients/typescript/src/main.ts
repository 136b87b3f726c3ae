// A client as another team would write it: types generated from the
// service's OpenAPI document (openapi-typescript), calls through
// openapi-fetch, compiled with `tsc --strict`. No casts, no `any`: if the
// document does not say what the service answers, this does not compile
// or it fails at run time.
//
//   node dist/main.js <base-url> <bearer-token>
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Figures = components["schemas"]["FiguresDto"];

const [base, token] = process.argv.slice(2);
if (base === undefined || token === undefined) {
  throw new Error("usage: node dist/main.js <base-url> <bearer-token>");
}
const api = createClient<paths>({
  baseUrl: base,
  headers: { Authorization: `Bearer ${token}` },
});

/** Swedish form, as the reports print it: space thousands, minus sign. */
function sv(value: number | null): string {
  if (value === null) return "–";
  const digits = Math.round(Math.abs(value))
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  return value < 0 ? `−${digits}` : digits;
}

function line(name: string, f: Figures): string {
  return `${name}: utfall ${sv(f.utfall)} / budget ${sv(f.budget)} / avvikelse ${sv(f.avvikelse)}`;
}

async function main(): Promise<void> {
  // VON's årsredovisning 2024, found by nämnd and type.
  const list = await api.GET("/api/v1/reports", {
    params: { query: { namnd: "VON", type: "arsredovisning" } },
  });
  if (list.error) throw new Error(`reports: ${list.error.title}`);
  const found = list.data.items[0];
  if (found === undefined) throw new Error("VON has no årsredovisning");

  // The whole report in tkr, every part.
  const whole = await api.GET("/api/v1/reports/{id}", {
    params: {
      path: { id: found.id },
      query: {
        include: ["drift", "investering", "volume_measures", "key_figures", "sections", "action_plans"],
        unit: "tkr",
      },
    },
  });
  if (whole.error) throw new Error(`report: ${whole.error.title}`);
  const report = whole.data;
  console.log(`${report.report.namnd} ${report.report.period} (${report.basis})`);
  if (report.drift === null) throw new Error("drift was asked for");
  for (const row of report.drift.rows) {
    if (row.name === "Äldreomsorg") console.log(line(row.name, row.figures));
  }
  console.log(line("Summa", report.drift.total));
  console.log(
    `parts: ${report.drift.rows.length} drift lines, ${report.investering?.rows.length ?? 0} investeringar, ` +
      `${report.volume_measures?.length ?? 0} volymmått, ${report.key_figures?.length ?? 0} nyckeltal, ` +
      `${report.sections?.length ?? 0} sections, ${report.action_plans?.length ?? 0} åtgärder`,
  );

  // The indicator appendix of 2024: trend and bedömning per indicator.
  const appendix = await api.GET("/api/v1/indicators/table", {
    params: { query: { year: 2024 } },
  });
  if (appendix.error) throw new Error(`appendix: ${appendix.error.title}`);
  let indicators = 0;
  for (const area of appendix.data.goal_areas) {
    for (const goal of area.goals) indicators += goal.indicators.length;
  }
  const first = appendix.data.goal_areas[0]?.goals[0]?.indicators[0];
  console.log(`appendix ${appendix.data.year}: ${indicators} indicators`);
  if (first !== undefined) {
    console.log(`  ${first.name}: trend ${first.trend.final}, bedömning ${first.bedomning.final ?? "–"}`);
  }

  // The kommun's drift view of the same period, and its drill-down into VON.
  const drift = await api.GET("/api/v1/kommun/{kind}", {
    params: { path: { kind: "drift" }, query: { period_id: report.report.period_id, unit: "tkr" } },
  });
  if (drift.error) throw new Error(`kommun drift: ${drift.error.title}`);
  // The operation also answers CSV (format=csv), typed as text.
  if (typeof drift.data === "string" || !("namnder" in drift.data)) {
    throw new Error("the kommun view lists nämnder");
  }
  for (const row of drift.data.namnder) {
    if (row.namnd === "VON") console.log(`kommun drift, ${line(row.namnd, row.figures)} (${row.basis})`);
  }
  const drill = await api.GET("/api/v1/kommun/{kind}", {
    params: { path: { kind: "drift" }, query: { period_id: report.report.period_id, namnd: "VON", unit: "tkr" } },
  });
  if (drill.error) throw new Error(`drill-down: ${drill.error.title}`);
  if (typeof drill.data === "string" || !("rows" in drill.data)) {
    throw new Error("the drill-down is a table");
  }
  const aldreomsorg = drill.data.rows.find((row) => row.name === "Äldreomsorg");
  if (aldreomsorg !== undefined) console.log(`drill-down, ${line(aldreomsorg.name, aldreomsorg.figures)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
