// The Probot side of `gantry-bench e2e --probot` (issue 19): the job Gantry's bundled
// `hooks` plugin does in the end-to-end run, written as a Probot app is. On
// `issues.opened` it adds one label, `needs-triage`, to the issue.
//
// It is served by Probot's `createNodeMiddleware` on a plain `http` server, and
// authenticates as a GitHub App (App JWT, then an installation token per
// installation, cached) against the GitHub the bench points it at. Everything comes
// from the environment:
//
//   APP_ID          the App's id
//   PRIVATE_KEY     the App's RSA private key, PEM
//   WEBHOOK_SECRET  the secret deliveries are signed with
//   GITHUB_API_URL  the REST API's base URL (the bench's simulator)
//   PORT            the port to listen on, on 127.0.0.1
//
// Webhooks are taken at /api/github/webhooks (Probot's default); GET /health answers
// 200 once the server listens.
"use strict";

const http = require("node:http");
const { Probot, ProbotOctokit, createNodeMiddleware } = require("probot");

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

// Write throttling off, in Probot's favour: with it on, Octokit sends at most one
// write a second. A function rather than an object, so Probot's own throttle
// options are merged into it instead of replacing it (probot/probot#2039).
const Octokit = ProbotOctokit.defaults((options) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false },
}));

const probot = new Probot({
  appId: required("APP_ID"),
  privateKey: required("PRIVATE_KEY"),
  secret: required("WEBHOOK_SECRET"),
  baseUrl: required("GITHUB_API_URL"),
  Octokit,
});

function triage(app) {
  app.on("issues.opened", async (context) => {
    await context.octokit.issues.addLabels(context.issue({ labels: ["needs-triage"] }));
  });
}

const middleware = createNodeMiddleware(triage, { probot });

const server = http.createServer((request, response) => {
  if (request.method === "GET" && request.url === "/health") {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("ok\n");
    return;
  }
  middleware(request, response, () => {
    response.writeHead(404);
    response.end();
  });
});

server.listen(Number(required("PORT")), "127.0.0.1", () => {
  console.log(`probot ${Probot.version} listening on 127.0.0.1:${server.address().port}`);
});

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
