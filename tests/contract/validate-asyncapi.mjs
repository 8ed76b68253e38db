// Parses an AsyncAPI document with the AsyncAPI project's parser and prints its diagnostics as JSON
// (severity 0 error, 1 warning, 2 information, 3 hint).
import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';
const parser = new Parser();
const text = readFileSync(process.argv[2], 'utf8');
const { document, diagnostics } = await parser.parse(text);
const out = diagnostics.map(d => ({ severity: d.severity, code: d.code, message: d.message, path: d.path.join('/') }));
console.log(JSON.stringify({ parsed: document !== undefined, diagnostics: out }, null, 1));
