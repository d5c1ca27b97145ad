// Sends N Event invocations with @aws-sdk/client-lambda, IN_FLIGHT at once,
// to the Invoke API at ENDPOINT (bench_submit's sink), signed as the SDK
// always signs. Prints "<invokes/s> <failed> <CPU us per invoke>" on stdout
// (CPU of the whole node process, all threads).
// Usage: node submit.mjs ENDPOINT N IN_FLIGHT
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import http from "node:http";

const [endpoint, nStr, inFlightStr] = process.argv.slice(2);
const n = Number(nStr), inFlight = Number(inFlightStr);
const client = new LambdaClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret", sessionToken: "bench-token" },
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: inFlight }) }),
});
const payload = new TextEncoder().encode(
  '{"wren":1,"kernel":"echo","job":"j","call":"00000000","attempt":0,"store":"s3://b/p","args_b64":"KQ=="}');

let next = 0, failed = 0;
async function worker() {
  while (next < n) {
    next++;
    try {
      await client.send(new InvokeCommand({ FunctionName: "wren", InvocationType: "Event", Payload: payload }));
    } catch (e) {
      failed++;
    }
  }
}
const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
await Promise.all(Array.from({ length: inFlight }, worker));
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
const c = process.cpuUsage(c0);
console.log(`${(n / dt).toFixed(0)} ${failed} ${((c.user + c.system) / n).toFixed(1)}`);
