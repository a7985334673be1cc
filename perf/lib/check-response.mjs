// One request before the load: the server must answer what the benchmark says it answers.

import { get } from "node:http";

/** Rejects unless GET `url` answers 200, a JSON content-type and exactly `expected` as JSON. */
export function checkJsonResponse(url, expected, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        const type = res.headers["content-type"] ?? "";
        let problem;
        if (res.statusCode !== 200) problem = `status ${res.statusCode}`;
        else if (!/^application\/json\b/i.test(type)) problem = `content-type "${type}"`;
        else if (!sameJson(body, expected)) problem = `body ${JSON.stringify(body.slice(0, 200))}`;
        if (problem) reject(new Error(`GET ${url} answered ${problem}; expected 200 application/json ${JSON.stringify(expected)}`));
        else resolve();
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} got no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

function sameJson(text, expected) {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(expected);
  } catch {
    return false;
  }
}
