// Headless Chromium or Firefox against a robot with two named streams, one with sound.
//
//   RW_SERVER=build/src/robot-webrtc-server RW_GST_LAUNCH=gst-launch-1.0 [RW_BROWSER=firefox] \
//     tests/browser/run-in-netns.sh node tests/browser/streams-test.mjs
//
// Env: RW_SERVER (daemon executable, required), RW_GST_LAUNCH (gst-launch-1.0, for the network
//      camera; default: found in PATH), RW_BROWSER (chromium, the default, or firefox),
//      RW_CHROMIUM (default /usr/bin/chromium), RW_FIREFOX (default /usr/bin/firefox-esr),
//      RW_SERVER_ARGS (extra daemon arguments), RW_SHOW_SERVER_LOG=1 (print the daemon's whole output).
// The daemon reads a config file written here: `front`, a 640x480 test pattern with a 440 Hz test
// tone, and `wrist`, 320x240 from a network camera this script runs with gst-launch-1.0 (VP8 over
// RTP over TCP, read through a `pipeline =` description), so that it can kill and restart it.
// Checks: GET /streams; the viewer page's grid (?stream=all) plays both at their sizes; Opus
// decoded on front, its level and the Unmute button; front's frame rate and longest frame gap
// (requestVideoFrameCallback, recorded in the page) while wrist's camera goes away and comes back
// and while a SIGHUP adds a third stream, `rear`, which then plays; the seed frontend's offer
// without "stream" gets the first stream; an unknown stream gets 404; the browser's video latency
// with and without audio (printed; with audio may be at most 100 ms worse); exit 0 on SIGTERM.
// Bounded to 115 s in all.

import fs from 'node:fs';
import path from 'node:path';
import {
  BROWSER, BROWSER_TITLE, HERE, NetworkCamera, checkRising, fatal, finish, httpRequest, iceAddresses, launchBrowser,
  log, ms, openPage, poll, printConsole, prerequisites, record, serveFrontend, sleep, startRun, startServer,
  stopServer, tempDir, withTimeout,
} from './common.mjs';

const TOTAL_MS = 115_000;
const PLAY_MS = 15_000;
// While another stream is disturbed, front's decoded rate (what the server
// delivers; a headless browser on 2 busy cores may paint fewer) and its
// longest gap between two painted frames. What isolation guards against, front's
// source or encoder held up by wrist's failover or by a reload, shows as a gap of
// a second or more; Firefox alone, decoding two videos and a tone on these 2 busy
// cores, has decoded 23.8 fps with 225 ms gaps in such a window (20 runs).
const MIN_FPS = 22;
const MAX_GAP_MS = 500;
const LATENCY_WINDOW_MS = 5000;
const MAX_AUDIO_PENALTY_MS = 100;
const STREAMS = {
  front: { width: 640, height: 480 },
  wrist: { width: 320, height: 240 },
  rear: { width: 160, height: 120 },
};

startRun({ title: `streams test (${BROWSER_TITLE})`, totalMs: TOTAL_MS });
const deps = await prerequisites();
const { serverExe } = deps;
const launch = process.env.RW_GST_LAUNCH || 'gst-launch-1.0';

// ---- wrist's network camera, the config file and the daemon ----
const frontOrigin = await serveFrontend();
const camera = await NetworkCamera.create({ launch, ...STREAMS.wrist, fps: 30 });
camera.start();
await camera.listening();

const dir = tempDir('rw-streams-');
const configFile = path.join(dir, 'robot-webrtc.conf');
// Cameras 250-252 do not exist: front and rear show their test pattern.
// Rate control is off: what is measured here is how the streams' pipelines stand apart. On this
// test's 2 cores (Firefox decoding two videos and a tone, three encoders), Firefox's own
// receive-side estimate dips below what it is sent (REMB ~575 kbit/s for 800), rate control
// follows it, and libvpx at 640x480 meets such a target by dropping frames (6 fps, gaps over
// 1 s): correct for rate control, tested in the rate suite and the -loss tests, but not this.
function writeConfig({ rear }) {
  const text = [
    '[server]', 'rate-limit=0', '',
    '[media]', 'codec=vp8', 'bitrate=800000', 'framerate=30', 'rate-control=false', '',
    '[stream front]', 'camera=250', `width=${STREAMS.front.width}`, `height=${STREAMS.front.height}`, 'audio=test', '',
    '[stream wrist]', `width=${STREAMS.wrist.width}`, `height=${STREAMS.wrist.height}`, `pipeline=${camera.description}`, '',
    ...(rear ? ['[stream rear]', 'camera=252', `width=${STREAMS.rear.width}`, `height=${STREAMS.rear.height}`, ''] : []),
  ].join('\n');
  // whole or not at all: the daemon may read it at any time
  fs.writeFileSync(`${configFile}.new`, text);
  fs.renameSync(`${configFile}.new`, configFile);
}
writeConfig({ rear: false });
const server = await startServer(serverExe, [
  '--config', configFile, '--port', '0', '--bind', '127.0.0.1', ...iceAddresses().flatMap((a) => ['--ice-address', a]),
  '--allow-origin', frontOrigin, ...(process.env.RW_SERVER_ARGS || '').split(/\s+/).filter(Boolean)]);
const url = server.url;

const getJson = async (p) => {
  const r = await httpRequest(`${url}${p}`);
  if (r.status !== 200) throw new Error(`GET ${p} -> ${r.status} ${r.text}`);
  return r.body;
};
const streamStatus = async (name) => (await getJson('/status')).streams?.find((s) => s.name === name);

// Runs one check: `body` returns the PASS detail or throws; the pages it opened are closed after.
async function check(name, body) {
  const pages = [];
  const open = async (u, opts) => { const o = await openPage(browser, u, opts); pages.push(o); return o; };
  try {
    record(name, true, await body(open));
  } catch (e) {
    record(name, false, e.message);
    for (const o of pages) printConsole(o);
  } finally {
    for (const o of pages) if (!o.keep) await o.close().catch(() => {});
  }
}

// ---- in the page: requestVideoFrameCallback on one <video>, every frame's times kept there ----
function startFrameLog(id) {
  const video = document.getElementById(id);
  const log = { frames: [], on: true };
  const step = (now, m) => {
    if (!log.on) return;
    log.frames.push({ now, presented: m.presentedFrames, receive: m.receiveTime ?? null, display: m.expectedDisplayTime });
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
  (window.rwFrameLogs ||= {})[id] = log;
}
function stopFrameLog(id) {
  const log = window.rwFrameLogs[id];
  log.on = false;
  return log.frames;
}
// rate (presented frames over the time they span) and the longest gap between two callbacks
function frameRate(frames) {
  if (frames.length < 2) return { fps: 0, gap: Infinity, n: frames.length, span: 0 };
  let gap = 0;
  for (let i = 1; i < frames.length; i++) gap = Math.max(gap, frames[i].now - frames[i - 1].now);
  const span = frames.at(-1).now - frames[0].now;
  return { fps: (frames.at(-1).presented - frames[0].presented) * 1000 / span, gap, n: frames.length, span };
}
const rateText = (r) => `${r.fps.toFixed(1)} fps presented (${r.decoded.toFixed(1)} decoded) over ` +
                        `${(r.span / 1000).toFixed(1)} s, longest gap ${ms(r.gap)}`;
// the robot's side of a window watchFront() watched
const robotText = ({ robot: o }) => `(the robot: target ${o.targets.length ? Math.min(...o.targets) : '?'}..` +
  `${o.targets.length ? Math.max(...o.targets) : '?'} bit/s, encoded ${o.encoded.length ? Math.min(...o.encoded) : '?'}..` +
  `${o.encoded.length ? Math.max(...o.encoded) : '?'} fps, limited by ${[...o.limits].join(', ') || 'nothing'})`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

// waits until rwViewers[name] (or rwViewer) is connected and shows `width` px video
async function playing(page, name, width) {
  try {
    await page.waitForFunction(([n, w]) => {
      const v = n ? window.rwViewers?.[n] : window.rwViewer;
      return v && (v.state === 'failed' || (v.state === 'connected' && v.videoWidth() === w));
    }, [name, width], { timeout: PLAY_MS, polling: 50 });
  } catch { /* reported below */ }
  const s = await page.evaluate((n) => {
    const v = n ? window.rwViewers?.[n] : window.rwViewer;
    const error = (n && document.getElementById(`error-${n}`)) || document.getElementById('error');
    return { state: v?.state, w: v?.videoWidth(), peer: v?.peerId, error: error?.textContent };
  }, name);
  if (s.state !== 'connected' || s.w !== width) {
    throw new Error(`${name || 'viewer'}: no ${width}px video within ${PLAY_MS / 1000} s: state=${s.state} ` +
                    `videoWidth=${s.w} error=${JSON.stringify(s.error)}`);
  }
  return s.peer;
}
const framesOf = (n) => window.rwViewers[n].framesDecoded();
// Starts watching front's <video> in the grid; the function returned stops and gives the rate.
// The decoded rate (getStats, from here) tells a browser that paints fewer frames than it decodes
// (a loaded machine) from a stream that sends fewer.
async function watchFront(page) {
  await page.evaluate(startFrameLog, 'video-front');
  const d0 = await page.evaluate(framesOf, 'front'), t = Date.now();
  // what the robot did meanwhile (printed when the check fails): rate control's target, the
  // frames its encoder put out, and what limited the viewers
  const robot = { targets: [], encoded: [], limits: new Set() };
  let sampling = true;
  const sampler = (async () => {
    for (let i = 0; sampling && i < 100; i++) {
      const st = await streamStatus('front').catch(() => null);
      const rc = st?.rate_control;
      if (rc) {
        robot.targets.push(rc.target);
        const full = (rc.layers || []).find((l) => l.name === 'full');
        if (full?.encoded_fps != null) robot.encoded.push(full.encoded_fps);
      }
      for (const p of st?.peers || []) if (p.rate?.source) robot.limits.add(`${p.rate.source} ${p.rate.estimate}`);
      await sleep(250);
    }
  })();
  return async () => {
    const frames = await page.evaluate(stopFrameLog, 'video-front');
    const d1 = await page.evaluate(framesOf, 'front');
    sampling = false;
    await sampler;
    return { ...frameRate(frames), decoded: (d1 - d0) * 1000 / (Date.now() - t), robot };
  };
}

// ---- 1. GET /streams ----
// A stream's codec, size and audio are what its caps say: right after start they may not be known.
let browser = null;
await check('streams-list', async () => {
  const want = [`front ${STREAMS.front.width}x${STREAMS.front.height} audio=OPUS`,
    `wrist ${STREAMS.wrist.width}x${STREAMS.wrist.height} audio=null`];
  const t = Date.now();
  let first = null, got = null;
  const same = () => JSON.stringify(got) === JSON.stringify(want);
  await poll(async () => {
    got = (await getJson('/streams')).streams.map((s) => `${s.name} ${s.width}x${s.height} audio=${s.audio}`);
    first ??= got;
    return same();
  }, { boundMs: 5000, what: 'GET /streams' }).catch(() => {});
  if (!same()) throw new Error(`GET /streams: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  return `GET /streams: ${got.join(', ')}` +
         (first === got ? '' : ` (${Date.now() - t} ms after start; at first ${first.join(', ')})`);
});

browser = await launchBrowser(deps);

// ---- 2-5. the grid: both play; sound on front; front undisturbed by wrist's faults and a reload ----
const grid = await openPage(browser, `${url}/?stream=all`, { viewport: { width: 1000, height: 700 } })
  .catch((e) => fatal(`cannot open the viewer page: ${e.message}`));
let gridPeers = null, lastViewer = null;
await check('grid-both-play', async () => {
  const { page } = grid;
  const front = await playing(page, 'front', STREAMS.front.width);
  const wrist = await playing(page, 'wrist', STREAMS.wrist.width);
  gridPeers = { front, wrist };
  const [f, w] = await Promise.all([checkRising(page, framesOf, 'front'), checkRising(page, framesOf, 'wrist')]);
  if (!f.ok || !w.ok) throw new Error(`framesDecoded not rising: front ${f.a} -> ${f.b}, wrist ${w.a} -> ${w.b}`);
  const tiles = await page.evaluate(() => [...document.querySelectorAll('#tiles video')].map((v) => v.id));
  return `?stream=all: tiles ${tiles.join(', ')}; front ${STREAMS.front.width}px ${f.fps.toFixed(1)} fps, ` +
         `wrist ${STREAMS.wrist.width}px ${w.fps.toFixed(1)} fps, two sessions (${front.slice(0, 8)}, ${wrist.slice(0, 8)})`;
});

// Chromium measures audioLevel after the element's volume: 0 while the <video> is muted, the
// tone's level once the Unmute button has it play the sound. Firefox measures it before (the
// tone's level either way).
await check('audio-front', async () => {
  const { page } = grid;
  const audioIn = () => window.rwViewers.front.stats().then((all) => {
    const a = all.find((r) => r.type === 'inbound-rtp' && r.kind === 'audio');
    const codec = a && all.find((r) => r.id === a.codecId);
    return a && { samples: a.totalSamplesReceived, level: a.audioLevel, mime: codec?.mimeType, clock: codec?.clockRate };
  });
  const a = await poll(() => page.evaluate(audioIn).then((x) => x?.samples > 0 && x), { boundMs: 5000, what: 'no audio samples received' });
  const ta = Date.now();
  await sleep(1000);
  const b = await page.evaluate(audioIn);
  const rate = (b.samples - a.samples) * 1000 / (Date.now() - ta);
  if (String(b.mime).toLowerCase() !== 'audio/opus') throw new Error(`inbound audio codec ${b.mime}, expected audio/opus`);
  if (!(b.samples > a.samples)) throw new Error(`totalSamplesReceived not rising: ${a.samples} -> ${b.samples}`);
  // the Unmute button: the <video> plays the sound once unmuted
  const ui = () => page.evaluate(() => ({ muted: document.getElementById('video-front').muted,
                                          label: document.getElementById('unmute-front').textContent }));
  const before = await ui();
  await page.click('#unmute-front', { timeout: 5000 });
  const on = await ui();
  let level = 0;
  await poll(async () => (level = (await page.evaluate(() => window.rwViewers.front.audio())).level) > 0,
             { boundMs: 3000, what: 'audioLevel 0' }).catch(() => {});
  const tracks = await page.evaluate(() => document.getElementById('video-front').srcObject.getTracks().map((t) => t.kind).sort().join('+'));
  await page.click('#unmute-front', { timeout: 5000 });
  const off = await ui();
  if (!before.muted || on.muted || !off.muted || on.label !== 'Mute' || off.label !== 'Unmute') {
    throw new Error(`Unmute button: muted ${before.muted} -> ${on.muted} ("${on.label}") -> ${off.muted} ("${off.label}")`);
  }
  if (tracks !== 'audio+video') throw new Error(`front's <video> plays ${tracks}, expected audio+video`);
  if (!(level > 0)) throw new Error(`audioLevel ${level} once unmuted (${b.level} muted), expected > 0`);
  return `${b.mime} ${b.clock} Hz, ${Math.round(rate)} samples/s; audioLevel ${b.level} muted, ` +
         `${level.toFixed(3)} unmuted; Unmute: muted ${before.muted} -> ${on.muted} ("${on.label}") -> ${off.muted} ` +
         `("${off.label}"); front's <video> holds ${tracks}`;
});

await check('isolation-camera-fault', async () => {
  const { page } = grid;
  const stopWatching = await watchFront(page);
  const t = Date.now();
  await camera.stop();
  await poll(async () => (await streamStatus('wrist'))?.source?.state === 'lost', { boundMs: 5000, everyMs: 25, what: "wrist's source never 'lost'" });
  const lostMs = Date.now() - t;
  const slate = await checkRising(page, framesOf, 'wrist');
  camera.start();
  const t2 = Date.now();
  await poll(async () => (await streamStatus('wrist'))?.source?.state === 'ok', { boundMs: 15_000, everyMs: 25, what: "wrist's source never 'ok' again" });
  const backMs = Date.now() - t2;
  const back = await checkRising(page, framesOf, 'wrist');
  const r = await stopWatching();
  const after = await page.evaluate(() => ({ wrist: window.rwViewers.wrist.peerId, front: window.rwViewers.front.peerId,
                                             w: window.rwViewers.wrist.videoWidth() }));
  const problems = [];
  if (r.decoded < MIN_FPS || r.gap > MAX_GAP_MS) problems.push(`front: ${rateText(r)} ${robotText(r)}`);
  if (!slate.ok) problems.push(`wrist's slate: frames ${slate.a} -> ${slate.b}`);
  if (!back.ok) problems.push(`wrist's camera back: frames ${back.a} -> ${back.b}`);
  if (after.wrist !== gridPeers.wrist || after.front !== gridPeers.front) problems.push(`sessions changed: ${JSON.stringify(after)}`);
  if (after.w !== STREAMS.wrist.width) problems.push(`wrist shows ${after.w}px`);
  if (problems.length) throw new Error(problems.join('; '));
  return `front ${rateText(r)} while wrist's camera was lost (${lostMs} ms to 'lost', slate ${slate.fps.toFixed(1)} fps) ` +
         `and back ('ok' ${backMs} ms after restart, ${back.fps.toFixed(1)} fps, ${after.w}px); same sessions`;
});

await check('isolation-sighup-add', async (open) => {
  const { page } = grid;
  const stopWatching = await watchFront(page);
  await sleep(300);
  const t = Date.now();
  writeConfig({ rear: true });
  process.kill(server.proc.pid, 'SIGHUP');
  const listed = await poll(async () => (await getJson('/streams')).streams.map((s) => s.name).includes('rear') &&
                                         (await streamStatus('rear'))?.codec, { boundMs: 10_000, what: 'rear never listed' });
  const addedMs = Date.now() - t;
  await sleep(2500);
  const r = await stopWatching();
  const front = await page.evaluate(() => window.rwViewers.front.peerId);
  const { streams } = await getJson('/streams');
  const names = streams.map((s) => `${s.name} ${s.width}x${s.height}`).join(', ');
  const problems = [];
  if (r.decoded < MIN_FPS || r.gap > MAX_GAP_MS) problems.push(`front: ${rateText(r)} ${robotText(r)}`);
  if (front !== gridPeers.front) problems.push(`front's session changed: ${front}`);
  if (!listed || streams.at(-1)?.name !== 'rear') problems.push(`GET /streams: ${names}`);
  // the new stream plays in its own page (kept open for the SIGTERM at the end)
  const rear = await open(`${url}/?stream=rear`);
  rear.keep = true;
  lastViewer = rear;
  await playing(rear.page, 'rear', STREAMS.rear.width);
  const rise = await checkRising(rear.page, framesOf, 'rear');
  if (!rise.ok) problems.push(`rear: frames ${rise.a} -> ${rise.b}`);
  if (problems.length) throw new Error(problems.join('; '));
  return `front ${rateText(r)} across SIGHUP (rear listed ${addedMs} ms after it); GET /streams: ${names}; ` +
         `?stream=rear plays ${STREAMS.rear.width}px at ${rise.fps.toFixed(1)} fps`;
});
await grid.close().catch(() => {});

// ---- 6. the seed's offer (no "stream") gets the first stream ----
await check('seed-frontend-first-stream', async (open) => {
  const { page } = await open(`${frontOrigin}/frontend.html?mode=complete&server=${encodeURIComponent(url)}`);
  try {
    await page.waitForFunction(
      (w) => window.rwTest && (window.rwTest.error || (window.rwTest.tFirstDecoded && document.getElementById('video').videoWidth === w)),
      STREAMS.front.width, { timeout: PLAY_MS, polling: 50 });
  } catch { /* reported below */ }
  const s = await page.evaluate(() => ({ ...window.rwTest, w: document.getElementById('video').videoWidth }));
  if (s.error || s.w !== STREAMS.front.width) throw new Error(`state=${s.state} videoWidth=${s.w} error=${s.error}`);
  const rise = await checkRising(page, () => window.rwTest.framesDecoded());
  if (!rise.ok) {
    // what the browser got, and what the robot says of the session, to tell where it stopped
    const inbound = () => window.rwTest.stats().then((all) => {
      const v = all.find((r) => r.type === 'inbound-rtp' && r.kind === 'video') || {};
      const pick = ['packetsReceived', 'packetsLost', 'bytesReceived', 'framesReceived', 'framesDecoded',
        'keyFramesDecoded', 'framesDropped', 'pliCount', 'firCount', 'nackCount', 'discardedPackets'];
      return Object.fromEntries(pick.map((k) => [k, v[k]]));
    });
    const a = await page.evaluate(inbound);
    await sleep(1000);
    const b = await page.evaluate(inbound);
    const status = await getJson('/status').catch((e) => ({ error: e.message }));
    const peer = (status.streams || []).flatMap((x) => x.peers || []).find((x) => x.peer_id === s.peerId || x.id === s.peerId);
    const front = (status.streams || []).find((x) => x.name === 'front');
    throw new Error(`framesDecoded not rising: ${rise.a} -> ${rise.b}; inbound-rtp ${JSON.stringify(a)} ` +
      `then ${JSON.stringify(b)}; robot's peer ${JSON.stringify(peer)}; front ${JSON.stringify({ ...front, peers: undefined })}`);
  }
  const bye = await page.evaluate(() => window.rwTest.hangUp());
  return `mode=complete, no "stream" member: ${s.w}px (front), ${rise.fps.toFixed(1)} fps, ` +
         `offer->first decoded ${ms(s.tFirstDecoded - s.tOffer)}; DELETE ${bye.status}`;
});

// ---- 7. an unknown stream ----
await check('unknown-stream-404', async () => {
  const sdp = fs.readFileSync(path.join(HERE, '..', 'fixtures', 'offers', 'chromium-156-recvonly-complete.sdp'), 'utf8');
  const r = await httpRequest(`${url}/offer`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp, type: 'offer', stream: 'nope' }),
  });
  if (r.status !== 404 || typeof r.body?.error !== 'string') throw new Error(`POST /offer {"stream":"nope"} -> ${r.status} ${r.text}`);
  return `POST /offer {"stream":"nope"} (a real Chromium offer) -> 404 ${r.text}`;
});

// ---- 8. latency, with and without audio ----
async function latency(open, query) {
  const { page } = await open(`${url}/?${query}`);
  await playing(page, null, STREAMS.front.width);
  await sleep(1000);
  const videoIn = () => window.rwViewer.stats().then((all) => {
    const v = all.find((r) => r.type === 'inbound-rtp' && r.kind === 'video');
    const a = all.find((r) => r.type === 'inbound-rtp' && r.kind === 'audio');
    return { delay: v.jitterBufferDelay, emitted: v.jitterBufferEmittedCount, target: v.jitterBufferTargetDelay,
             samples: a?.totalSamplesReceived ?? null };
  });
  const a = await page.evaluate(videoIn);
  await page.evaluate(startFrameLog, 'video');
  await sleep(LATENCY_WINDOW_MS);
  const frames = await page.evaluate(stopFrameLog, 'video');
  const b = await page.evaluate(videoIn);
  const jb = (b.delay - a.delay) * 1000 / (b.emitted - a.emitted);
  const jbTarget = (b.target - a.target) * 1000 / (b.emitted - a.emitted);
  const render = median(frames.filter((f) => f.receive != null).map((f) => f.display - f.receive));
  return { jb, jbTarget, render, frames: frames.length, audioSamples: b.samples === null ? null : b.samples - a.samples };
}
await check('latency-audio-vs-video-only', async (open) => {
  const withAudio = await latency(open, 'stream=front');
  const videoOnly = await latency(open, 'stream=front&audio=0');
  const text = (x) => `jitter buffer ${x.jb.toFixed(1)} ms (target ${x.jbTarget.toFixed(1)} ms), ` +
                      `rVFC expectedDisplayTime-receiveTime median ${x.render == null ? 'n/a' : x.render.toFixed(1) + ' ms'} ` +
                      `(${x.frames} frames)`;
  log(`latency with audio: ${text(withAudio)}, ${withAudio.audioSamples} audio samples`);
  log(`latency video only: ${text(videoOnly)}`);
  const problems = [];
  if (!(withAudio.audioSamples > 0)) problems.push(`with audio: ${withAudio.audioSamples} audio samples in the window`);
  if (videoOnly.audioSamples !== null) problems.push('?audio=0 still received audio');
  for (const [k, x] of [['with audio', withAudio], ['video only', videoOnly]]) {
    if (!(x.jb >= 0 && x.jb < 1000) || x.render == null || !(x.render > -100 && x.render < 1000)) problems.push(`${k}: not sane: ${text(x)}`);
  }
  if (withAudio.jb - videoOnly.jb > MAX_AUDIO_PENALTY_MS) problems.push(`jitter buffer ${(withAudio.jb - videoOnly.jb).toFixed(1)} ms worse with audio`);
  if (withAudio.render - videoOnly.render > MAX_AUDIO_PENALTY_MS) problems.push(`rVFC ${(withAudio.render - videoOnly.render).toFixed(1)} ms worse with audio`);
  if (problems.length) throw new Error(problems.join('; '));
  return `with audio: ${text(withAudio)}; video only: ${text(videoOnly)}`;
});

// ---- 9. SIGTERM, with rear's viewer still watching ----
const note = lastViewer ? '1 viewer connected (rear)' : 'no viewer connected';
await stopServer(server, 'SIGTERM', note);
await withTimeout(browser.close(), 10_000, `closing ${BROWSER}`).catch((e) => log(e.message));
finish();
