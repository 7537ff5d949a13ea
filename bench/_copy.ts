import { nativeTextsOf, readNativeJson } from '../lib/protocol/json/native-json.js';
import { realisticPayload } from './protocol/realistic-payload.util.js';
const size = Number(process.env.SIZE ?? 65536);
const payload = realisticPayload(size); const text = JSON.stringify(payload);
const n = size > 10000 ? 1500 : 60000;
let s = 0;
for (let r = 0; r < 3; r++) {
  let t = process.hrtime.bigint(); for (let i = 0; i < n; i++) s += nativeTextsOf(payload)!.body.length;
  const a = Number(process.hrtime.bigint() - t) / n / 1000;
  t = process.hrtime.bigint(); for (let i = 0; i < n; i++) s += readNativeJson(text) ? 1 : 0;
  const b = Number(process.hrtime.bigint() - t) / n / 1000;
  t = process.hrtime.bigint(); for (let i = 0; i < n; i++) s += JSON.stringify(payload).length;
  const c = Number(process.hrtime.bigint() - t) / n / 1000;
  if (r === 2) console.log(`texts ${(a/c).toFixed(2)}x  read ${(b/c).toFixed(2)}x of stringify (${c.toFixed(1)}µs)`);
}
