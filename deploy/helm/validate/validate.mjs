// node validate.mjs RENDERED.yaml OUTDIR: validates rendered Kubernetes manifests two ways, both from npm packages
// generated from the Kubernetes OpenAPI definitions:
//  1. kubernetes-models (its ajv-compiled validators): types, required fields, enums and formats of every field;
//  2. kubernetes-types (Kubernetes 1.30) with the TypeScript compiler in strict mode: each manifest becomes an object
//     literal typed as its kind, so a misspelt or misplaced field is an error (excess-property check) as well as a
//     wrong type or a missing required field.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const [file, outDir] = process.argv.slice(2);
const docs = parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS()).filter((d) => d);
const kinds = {
  "v1/Service": ["kubernetes-models/v1/Service", "Service", "kubernetes-types/core/v1"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "Secret", "kubernetes-types/core/v1"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap", "kubernetes-types/core/v1"],
  "apps/v1/StatefulSet": ["kubernetes-models/apps/v1/StatefulSet", "StatefulSet", "kubernetes-types/apps/v1"],
};
let failed = 0;
const lines = [];
const imports = new Map();
for (const [i, d] of docs.entries()) {
  const key = `${d.apiVersion}/${d.kind}`;
  const k = kinds[key];
  if (!k) { console.error(`validate: ${key} (${d.metadata?.name}) has no schema here; add it to validate.mjs`); failed++; continue; }
  const mod = await import(k[0]);
  try {
    new mod[k[1]](d).validate();
  } catch (e) {
    console.error(`validate: ${d.kind} ${d.metadata?.name}: ${e.message}`); failed++;
  }
  if (!imports.has(k[2])) imports.set(k[2], new Set());
  imports.get(k[2]).add(k[1]);
  lines.push(`// ${d.kind} ${d.metadata?.name}\nexport const m${i}: ${k[1]} = ${JSON.stringify(d, null, 2)};\n`);
}
const src = [...imports].map(([m, names]) => `import type { ${[...names].join(", ")} } from "${m}";`).join("\n") + "\n\n" + lines.join("\n");
fs.mkdirSync(outDir, { recursive: true });
const tsFile = path.join(outDir, "manifests.ts");
fs.writeFileSync(tsFile, src);
const program = ts.createProgram([tsFile], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [] });
for (const diag of ts.getPreEmitDiagnostics(program)) {
  const where = diag.file ? `${path.basename(diag.file.fileName)}:${diag.file.getLineAndCharacterOfPosition(diag.start).line + 1}` : "";
  console.error(`validate: ${where} ${ts.flattenDiagnosticMessageText(diag.messageText, "\n")}`); failed++;
}
if (failed) { console.error(`validate: ${failed} problem(s) in ${file} (the typed manifests are in ${tsFile})`); process.exit(1); }
console.log(`   OK: ${docs.length} manifests (${docs.map((d) => d.kind + " " + d.metadata.name).join(", ")}) valid against kubernetes-models and, strictly, kubernetes-types 1.30 (TypeScript ${ts.version})`);
