// Peer: node:http. GET /hello → {"message":"Hello, World!"} as JSON.
// PORT=0 picks a free port; the line `ready <port>` says it is listening.

import { createServer } from "node:http";

const server = createServer((req, res) => {
  if (req.url === "/hello" && req.method === "GET") {
    const body = JSON.stringify({ message: "Hello, World!" });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("Not Found");
  }
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`ready ${server.address().port}`);
});

process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
