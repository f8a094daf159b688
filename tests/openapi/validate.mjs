// Validates gatehouse's OpenAPI document (default: src/portal/openapi.json).
//
//   node tests/openapi/validate.mjs [FILE]
//
// Checks, each counted as passed or failed:
//   schema       the document against the official OpenAPI 3.1 JSON schema
//                (@seriousme/openapi-schema-validator), and that it is 3.1.x;
//   refs         every local "$ref" points at something that exists;
//   path-params  each "{name}" of a path template is declared as a required
//                path parameter of every operation on it, and nothing else is;
//   operation-ids  operationIds are unique;
//   schemas      every components/schemas entry compiles as a JSON Schema
//                2020-12 (OpenAPI 3.1's dialect) in Ajv, formats included;
//   responses    every operation answers a 2xx, and every 4xx/5xx answer of
//                the API (/api/…; /readyz has its own 503 body) is the Error
//                schema in application/json;
//   request-bodies  every JSON request body schema is an object that sets
//                additionalProperties: false (the server rejects unknown fields).
// Prints each error and ends with "openapi: N passed, N failed"; exits 1 if
// anything failed.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = dirname(fileURLToPath(import.meta.url));
const file = resolve(process.argv[2] ?? resolve(here, "../../src/portal/openapi.json"));

let passed = 0;
let failed = 0;

function check(name, errors) {
    if (errors.length === 0) {
        passed++;
        console.log(`ok   ${name}`);
        return;
    }
    failed++;
    console.log(`FAIL ${name}`);
    for (const e of errors) console.log(`     ${e}`);
}

function finish() {
    console.log(`openapi: ${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

let doc;
try {
    doc = JSON.parse(readFileSync(file, "utf8"));
    check(`parse ${file}`, []);
} catch (e) {
    check(`parse ${file}`, [String(e.message ?? e)]);
    finish();
}

// 1. The official schema.
{
    const errors = [];
    const validator = new Validator();
    const res = await validator.validate(doc);
    if (!res.valid) {
        const list = Array.isArray(res.errors) ? res.errors : [res.errors];
        for (const e of list)
            errors.push(
                typeof e === "object" && e !== null
                    ? `${e.instancePath || "/"}: ${e.message ?? ""} ${JSON.stringify(e.params ?? {})}`
                    : String(e),
            );
    } else if (validator.version !== "3.1") {
        errors.push(`document is OpenAPI ${validator.version}, not 3.1`);
    }
    if (typeof doc.openapi !== "string" || !/^3\.1\.\d+$/.test(doc.openapi))
        errors.push(`"openapi" is ${JSON.stringify(doc.openapi)}, expected 3.1.x`);
    check("schema: official OpenAPI 3.1 schema", errors);
}

// 2. Local references resolve.
function pointer(root, ref) {
    let node = root;
    for (const raw of ref.slice(2).split("/")) {
        const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
        if (node === null || typeof node !== "object" || !(key in node)) return undefined;
        node = node[key];
    }
    return node;
}
{
    const errors = [];
    const walk = (node, at) => {
        if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}/${i}`));
        else if (node !== null && typeof node === "object") {
            for (const [k, v] of Object.entries(node)) {
                if (k === "$ref" && typeof v === "string") {
                    if (!v.startsWith("#/")) errors.push(`${at}: external reference ${v}`);
                    else if (pointer(doc, v) === undefined) errors.push(`${at}: unresolved ${v}`);
                } else walk(v, `${at}/${k}`);
            }
        }
    };
    walk(doc, "");
    check("refs: every $ref resolves", errors);
}

const deref = (node) => {
    for (let i = 0; i < 16 && node && typeof node === "object" && typeof node.$ref === "string"; i++)
        node = pointer(doc, node.$ref);
    return node;
};

// 3. Path templates and path parameters agree.
{
    const errors = [];
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
        const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        for (const method of METHODS) {
            const op = item[method];
            if (!op) continue;
            const declared = new Map();
            for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref))
                if (p && p.in === "path") declared.set(p.name, p);
            const names = [...declared.keys()].sort();
            if (JSON.stringify(names) !== JSON.stringify(inTemplate))
                errors.push(`${method.toUpperCase()} ${path}: path parameters [${names}] but template has [${inTemplate}]`);
            for (const [name, p] of declared)
                if (p.required !== true) errors.push(`${method.toUpperCase()} ${path}: path parameter ${name} not required`);
        }
    }
    check("path-params: templates match declared path parameters", errors);
}

// 4. Unique operationIds.
{
    const errors = [];
    const seen = new Map();
    for (const [path, item] of Object.entries(doc.paths ?? {}))
        for (const method of METHODS) {
            const id = item[method]?.operationId;
            if (id === undefined) continue;
            if (seen.has(id)) errors.push(`operationId ${id}: ${seen.get(id)} and ${method.toUpperCase()} ${path}`);
            else seen.set(id, `${method.toUpperCase()} ${path}`);
        }
    check("operation-ids: unique", errors);
}

// 5. Component schemas are valid JSON Schema 2020-12.
{
    const errors = [];
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    // Register the whole document so that "#/components/schemas/X" references
    // resolve, then compile each schema through its pointer.
    const id = "urn:gatehouse:openapi";
    try {
        ajv.addSchema({ $id: id, components: doc.components ?? {} });
        for (const name of Object.keys(doc.components?.schemas ?? {})) {
            try {
                ajv.getSchema(`${id}#/components/schemas/${name}`);
            } catch (e) {
                errors.push(`${name}: ${e.message}`);
            }
        }
    } catch (e) {
        errors.push(String(e.message ?? e));
    }
    check("schemas: components compile as JSON Schema 2020-12", errors);
}

// 6. Success and error answers.
{
    const errors = [];
    const errorRef = "#/components/schemas/Error";
    for (const [path, item] of Object.entries(doc.paths ?? {}))
        for (const method of METHODS) {
            const op = item[method];
            if (!op) continue;
            const where = `${method.toUpperCase()} ${path}`;
            const codes = Object.keys(op.responses ?? {});
            if (!codes.some((c) => /^2/.test(c))) errors.push(`${where}: no 2xx response`);
            if (!path.startsWith("/api/")) continue;
            for (const c of codes.filter((c) => /^[45]/.test(c))) {
                const r = deref(op.responses[c]);
                if (r?.content?.["application/json"]?.schema?.$ref !== errorRef)
                    errors.push(`${where}: ${c} is not the Error schema`);
            }
        }
    check("responses: a 2xx each, errors in the Error shape", errors);
}

// 7. Request bodies reject unknown fields.
{
    const errors = [];
    for (const [path, item] of Object.entries(doc.paths ?? {}))
        for (const method of METHODS) {
            const body = deref(item[method]?.requestBody);
            if (!body) continue;
            for (const [type, media] of Object.entries(body.content ?? {})) {
                // form bodies are OAuth's (RFC 6749 3.2: unknown parameters are ignored)
                if (type !== "application/json") continue;
                const schema = deref(media.schema);
                const where = `${method.toUpperCase()} ${path} (${type})`;
                if (!schema || schema.type !== "object") errors.push(`${where}: body schema is not an object`);
                else if (schema.additionalProperties !== false)
                    errors.push(`${where}: body schema lacks additionalProperties: false`);
            }
        }
    check("request-bodies: additionalProperties false", errors);
}

finish();
