// WHEP players we did not write, in headless Chromium or Firefox, against a robot with two streams.
//
//   RW_SERVER=build/src/robot-webrtc-server [RW_BROWSER=firefox] \
//     tests/browser/run-in-netns.sh node tests/browser/whep-test.mjs
//
// Env: RW_SERVER (daemon executable, required), RW_BROWSER (chromium, the default, or firefox),
//      RW_CHROMIUM (default /usr/bin/chromium), RW_FIREFOX (default /usr/bin/firefox-esr),
//      RW_SHOW_SERVER_LOG=1 (print the daemon's whole output).
// The players are the npm packages whip-whep (its WHEPClient: trickles its candidates in PATCHes)
// and @eyevinn/webrtc-player (its WHEP adapter: one offer after gathering), at the versions
// pinned in package.json, in a page (whep-page.html) served from an origin of its own, so that
// every request is a CORS one. The daemon's config has `front` (640x480 VP8 with a test tone) and
// `wrist` (320x240 H264), and viewer tokens, minted here as the lab's backend does.
// Checks, for each player: both streams play at once (decoded frames rising, videoWidth right,
// the stream's codec; front's audio packets arriving), each a WHEP session (POST 201, PATCHes
// 204), and the player's own stop call (DELETE 200) removes its viewer from /status within 1 s,
// the daemon saying `hung up (WHEP)`; a token for another robot gets 401 and no session.
// Offer → first frame is printed per player and stream. Bounded to 100 s in all.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  BROWSER, BROWSER_TITLE, HERE, fatal, finish, httpRequest, iceAddresses, launchBrowser, log, ms,
  openPage, poll, printConsole, prerequisites, record, startRun, startServer, stopServer, tempDir, withTimeout,
} from './common.mjs';

const TOTAL_MS = 100_000;
const PLAY_MS = 15_000;
// DELETE → the viewer gone from /status
const GONE_MS = 1000;
const ROBOT_ID = 'robot-whep';
const STREAMS = {
  front: { width: 640, height: 480, mime: 'video/VP8', audio: true },
  wrist: { width: 320, height: 240, mime: 'video/H264', audio: false },
};
const PLAYERS = {
  'whip-whep': { play: 'playWhipWhep', trickles: true },
  '@eyevinn/webrtc-player': { play: 'playEyevinn', trickles: false },
};

startRun({ title: `WHEP players test (${BROWSER_TITLE})`, totalMs: TOTAL_MS });
const deps = await prerequisites();
const { serverExe } = deps;

// ---- the players' page, on an origin of its own ----
async function servePlayers() {
  const modules = path.join(HERE, 'node_modules');
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    fatal(`cannot load esbuild (${e.code || e.message}): run the project's setup script, or 'npm ci' in tests/browser`);
  }
  // @eyevinn/webrtc-player is published as CommonJS for bundlers: one script for the page
  const bundle = await esbuild.build({
    stdin: { contents: "import { WebRTCPlayer } from '@eyevinn/webrtc-player'; window.WebRTCPlayer = WebRTCPlayer;",
             resolveDir: HERE },
    bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'error',
  }).catch((e) => fatal(`esbuild could not bundle @eyevinn/webrtc-player: ${e.message}`));
  const files = {
    '/': { type: 'text/html', body: fs.readFileSync(path.join(HERE, 'whep-page.html')) },
    '/whep.js': { type: 'text/javascript', body: fs.readFileSync(path.join(modules, 'whip-whep', 'whep.js')) },
    '/webrtc-player.js': { type: 'text/javascript', body: bundle.outputFiles[0].contents },
  };
  const server = http.createServer((req, res) => {
    const file = req.method === 'GET' && files[new URL(req.url, 'http://x').pathname];
    res.writeHead(file ? 200 : 404, { 'Content-Type': file ? `${file.type}; charset=utf-8` : 'text/plain',
                                      'Cache-Control': 'no-store' });
    res.end(file ? file.body : 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const origin = `http://127.0.0.1:${server.address().port}`;
  log(`players' page at ${origin}`);
  return origin;
}
const pageOrigin = await servePlayers();

// ---- tokens, the config file and the daemon ----
const dir = tempDir('rw-whep-');
const secret = crypto.randomBytes(32).toString('hex');
const secretFile = path.join(dir, 'secret');
fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
function mintToken(claims, key = secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signingInput}.${crypto.createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}
const tokenFor = (sub, aud = ROBOT_ID) => mintToken({ sub, aud, exp: Math.floor(Date.now() / 1000) + 120 });

// Cameras 250 and 251 do not exist: both streams show their test pattern.
const configFile = path.join(dir, 'robot-webrtc.conf');
fs.writeFileSync(configFile, [
  '[server]', 'rate-limit=0', '',
  '[auth]', `secret-file=${secretFile}`, `audience=${ROBOT_ID}`, '',
  '[media]', 'bitrate=800000', 'framerate=30', '',
  '[stream front]', 'camera=250', 'codec=vp8', `width=${STREAMS.front.width}`, `height=${STREAMS.front.height}`,
  'audio=test', '',
  '[stream wrist]', 'camera=251', 'codec=h264', `width=${STREAMS.wrist.width}`, `height=${STREAMS.wrist.height}`, '',
].join('\n'));
const server = await startServer(serverExe, [
  '--config', configFile, '--port', '0', '--bind', '127.0.0.1', ...iceAddresses().flatMap((a) => ['--ice-address', a]),
  '--allow-origin', pageOrigin]);
const url = server.url;
const status = async () => {
  const r = await httpRequest(`${url}/status`);
  if (r.status !== 200) throw new Error(`GET /status -> ${r.status} ${r.text}`);
  return r.body;
};
const viewersOf = (s, name) => s.streams.find((x) => x.name === name)?.viewers;
// both streams' media must have started before the players come
await poll(async () => (await status()).status === 'ok', { boundMs: 10_000, what: 'GET /status: ok' })
  .catch((e) => fatal(e.message));

const browser = await launchBrowser(deps);

// ---- each player plays both streams at once, then stops ----
async function checkPlayer(name, { play, trickles }) {
  let opened = null;
  try {
    opened = await openPage(browser, `${pageOrigin}/`);
    const { page } = opened;
    await page.waitForFunction(() => window.whepReady === true && typeof window.WebRTCPlayer === 'function',
                               null, { timeout: 10_000, polling: 50 });
    const ids = Object.keys(STREAMS);
    const tokens = Object.fromEntries(ids.map((s) => [s, tokenFor(`${name}-${s}`)]));
    await Promise.all(ids.map((s) => page.evaluate(([fn, id, u, t]) => window[fn](id, u, t),
                                                   [play, s, `${url}/whep/${s}`, tokens[s]])));
    // playing: the right size and codec, decoded frames rising, front's sound arriving
    const states = {};
    for (const s of ids) {
      const want = STREAMS[s];
      await page.waitForFunction(([id, w]) => document.getElementById(id)?.videoWidth === w,
                                 [s, want.width], { timeout: PLAY_MS, polling: 50 }).catch(() => {});
      const a = await page.evaluate((id) => window.playerState(id), s);
      await new Promise((r) => setTimeout(r, 1000));
      const b = await page.evaluate((id) => window.playerState(id), s);
      const fps = b.framesDecoded - a.framesDecoded;
      const problems = [];
      if (b.width !== want.width || b.height !== want.height) problems.push(`video ${b.width}x${b.height}`);
      if (!(b.framesDecoded > a.framesDecoded)) problems.push(`framesDecoded ${a.framesDecoded} -> ${b.framesDecoded}`);
      if (b.codec !== want.mime) problems.push(`codec ${b.codec}`);
      if (want.audio && !(b.audioPackets > a.audioPackets)) problems.push(`audio packets ${a.audioPackets} -> ${b.audioPackets}`);
      if (problems.length) {
        throw new Error(`${s} (${want.width}x${want.height} ${want.mime}): ${problems.join(', ')} (connection ${b.connection})`);
      }
      states[s] = { ...b, fps };
    }
    const st = await status();
    for (const s of ids) {
      if (viewersOf(st, s) !== 1) throw new Error(`/status: ${s} has ${viewersOf(st, s)} viewers while the player plays, expected 1`);
    }
    const seen = (method) => opened.responses.filter((r) => r.method === method && r.path.startsWith('/whep/'));
    const posts = seen('POST'), patches = seen('PATCH');
    if (posts.length !== ids.length || posts.some((r) => r.status !== 201)) {
      throw new Error(`POST /whep/…: ${JSON.stringify(posts)}, expected ${ids.length} × 201`);
    }
    if (patches.some((r) => r.status !== 204) || (trickles && !patches.length)) {
      throw new Error(`PATCH /whep/…: ${JSON.stringify(patches)}, expected ${trickles ? 'some, ' : ''}all 204`);
    }
    record(`${name}-plays`, true, ids.map((s) => `${s} ${states[s].width}x${states[s].height} ` +
      `${states[s].codec.replace('video/', '')} ${states[s].fps} fps${STREAMS[s].audio ? ' with Opus' : ''}, ` +
      `first frame ${ms(states[s].firstFrameMs)}`).join('; ') +
      `; ${posts.length} POST 201, ${patches.length} PATCH 204`);

    // the player's own stop call
    const logFrom = server.log.length;
    for (const s of ids) {
      const t = Date.now();
      await page.evaluate((id) => window.stopPlayer(id), s);
      await poll(async () => viewersOf(await status(), s) === 0, { boundMs: GONE_MS, everyMs: 20, what: `${s} gone` })
        .catch(() => { throw new Error(`${s}: still ${GONE_MS} ms after the player's stop call in /status`); });
      log(`${name}: ${s} gone from /status ${Date.now() - t} ms after its stop call`);
    }
    const deletes = seen('DELETE');
    if (deletes.length !== ids.length || deletes.some((r) => r.status !== 200)) {
      throw new Error(`DELETE /whep/…: ${JSON.stringify(deletes)}, expected ${ids.length} × 200`);
    }
    const hungUp = server.log.slice(logFrom).filter((l) => l.includes('hung up (WHEP)')).length;
    if (hungUp !== ids.length) throw new Error(`the daemon said 'hung up (WHEP)' ${hungUp} times, expected ${ids.length}`);
    record(`${name}-stop`, true, `each stop call: DELETE 200, the viewer gone from /status within ${GONE_MS} ms, ` +
           `'hung up (WHEP)' in the log`);
  } catch (e) {
    record(`${name}`, false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}
for (const [name, player] of Object.entries(PLAYERS)) await checkPlayer(name, player);

// ---- a token for another robot: whip-whep's view() fails with the 401, no session ----
{
  let opened = null;
  try {
    opened = await openPage(browser, `${pageOrigin}/`);
    const { page } = opened;
    await page.waitForFunction(() => window.whepReady === true, null, { timeout: 10_000, polling: 50 });
    const error = await page.evaluate(([u, t]) => window.playWhipWhep('front', u, t).then(() => null, (e) => e.message),
                                      [`${url}/whep/front`, tokenFor('intruder', 'robot-other')]);
    const st = await status();
    if (!/401/.test(error ?? '') || viewersOf(st, 'front') !== 0) {
      throw new Error(`view() ${error === null ? 'resolved' : `threw "${error}"`}; front has ${viewersOf(st, 'front')} viewers`);
    }
    record('wrong-audience', true, `whip-whep's view() threw "${error}", no session`);
  } catch (e) {
    record('wrong-audience', false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}

await stopServer(server, 'SIGTERM', 'after the players');
await withTimeout(browser.close(), 10_000, `closing ${BROWSER}`).catch((e) => log(e.message));
finish();
