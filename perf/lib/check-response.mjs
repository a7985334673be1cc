// One request before the load: the server must answer what the workload says it answers.

import { request } from "node:http";
import { isDeepStrictEqual } from "node:util";

/**
 * Sends the workload's request to `base` (http://host:port) and rejects unless the answer is
 * right: for `expect.json`, that status, a JSON content-type and a body equal to it as JSON
 * (key order aside); for `expect.rejected`, a 4xx. Resolves with the status.
 */
export function checkResponse(base, w, timeoutMs = 5_000) {
  const url = `${base}${w.path}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: w.method, headers: w.headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        const problem = w.expect.rejected ? rejectionProblem(res) : answerProblem(res, body, w.expect);
        if (problem) reject(new Error(`${w.method} ${url} answered ${problem}; expected ${describe(w.expect)}`));
        else resolve(res.statusCode);
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${w.method} ${url} got no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(w.body);
  });
}

function answerProblem(res, body, expect) {
  const type = res.headers["content-type"] ?? "";
  if (res.statusCode !== expect.status) return `status ${res.statusCode}: ${body.slice(0, 200)}`;
  if (!/^application\/json\b/i.test(type)) return `content-type "${type}"`;
  if (!sameJson(body, expect.json)) return `body ${JSON.stringify(body.slice(0, 300))}`;
  return null;
}

function rejectionProblem(res) {
  return res.statusCode >= 400 && res.statusCode < 500 ? null : `status ${res.statusCode}`;
}

function describe(expect) {
  return expect.rejected ? "a 4xx rejection" : `${expect.status} application/json ${JSON.stringify(expect.json)}`;
}

function sameJson(text, expected) {
  try {
    return isDeepStrictEqual(JSON.parse(text), expected);
  } catch {
    return false;
  }
}
