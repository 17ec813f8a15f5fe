// How many keyframe requests (RTCP PLI) browsers send the daemon, and how many keyframes that
// costs every viewer of the stream; after the first 5 s, it fails when a viewer sends more than
// MAX_RATE PLI a second or the sink forces more than MAX_RATE keyframes a second (a loop of
// undecodable H264 access units once made every H264 viewer ask twice a second).
//
//   RW_SERVER=build/src/robot-webrtc-server tests/browser/run-in-netns.sh node tests/browser/keyframe-watch.mjs
//
// Env: RW_SERVER (daemon executable, required), RW_CODEC (h264, the default, or vp8),
//      RW_WATCH_BROWSERS (the viewers, one viewer page each, in this order, 2 s apart; default
//      "firefox,chromium"), RW_WATCH_S (seconds watched once every viewer plays; default 30),
//      RW_KEYFRAME_INTERVAL (the daemon's --keyframe-interval; default its own, 2 s), RW_SERVER_ARGS
//      (more daemon arguments, space-separated),
//      RW_CHROMIUM, RW_FIREFOX (the browsers' executables).
// The daemon runs with GST_DEBUG=rw-sink:6, so that its log has a line for each keyframe request
// that reaches the encoder ("keyframe requested": the first one after keyframe-min-interval, or
// the deferred one that stands for the rest) and for each one merged into the next. Each page's
// getStats gives its inbound video's pliCount, keyFramesDecoded, framesDecoded, framesDropped and
// bytesReceived.
// Prints a line a second and the rates over the whole watch and after its first 5 s.

import {
  browserPrerequisites, fatal, finish, iceAddresses, launchBrowser, log, openPage, record, sleep, startRun,
  startServer, stopServer, withTimeout,
} from './common.mjs';

const CODEC = (process.env.RW_CODEC || 'h264').toLowerCase();
const NAMES = (process.env.RW_WATCH_BROWSERS || 'firefox,chromium').split(',').map((s) => s.trim()).filter(Boolean);
const WATCH_S = Number(process.env.RW_WATCH_S || 30);
const MAX_RATE = 0.2;
const PLAY_MS = 15_000;

startRun({ title: `keyframe watch (${CODEC.toUpperCase()}, ${NAMES.join(' + ')})`, totalMs: (WATCH_S + 60) * 1000 });
if (!['vp8', 'h264'].includes(CODEC)) fatal(`RW_CODEC=${CODEC}: not vp8 or h264`);
const serverExe = process.env.RW_SERVER;
if (!serverExe) fatal('RW_SERVER is not set (path of robot-webrtc-server)');

const gstDebug = [process.env.GST_DEBUG, 'rw-sink:6'].filter(Boolean).join(',');
const server = await startServer(serverExe, [
  '--port', '0', '--bind', '127.0.0.1', ...iceAddresses(NAMES).flatMap((a) => ['--ice-address', a]),
  '--width', '640', '--height', '480', '--framerate', '30', '--codec', CODEC,
  ...(process.env.RW_KEYFRAME_INTERVAL ? ['--keyframe-interval', process.env.RW_KEYFRAME_INTERVAL] : []),
  ...(process.env.RW_SERVER_ARGS || '').split(/\s+/).filter(Boolean),
], { env: { ...process.env, GST_DEBUG: gstDebug, GST_DEBUG_NO_COLOR: '1' } });

// one browser per kind, one viewer page per entry
const browsers = {};
for (const name of new Set(NAMES)) browsers[name] = await launchBrowser(await browserPrerequisites(name));
const viewers = [];
for (const [i, name] of NAMES.entries()) {
  if (i) await sleep(2000);
  const opened = await openPage(browsers[name], `${server.url}/`);
  try {
    await opened.page.waitForFunction(() => window.rwViewer && window.rwViewer.state === 'connected' && window.rwViewer.videoWidth() > 0,
                                      null, { timeout: PLAY_MS, polling: 50 });
  } catch {
    fatal(`${name}: no video within ${PLAY_MS / 1000} s`);
  }
  viewers.push({ label: `${name}#${i + 1}`, opened, samples: [] });
  log(`${name}#${i + 1} plays`);
}

// in the page: the inbound video's counters
const counters = () => window.rwViewer.stats().then((all) => {
  const v = all.find((r) => r.type === 'inbound-rtp' && r.kind === 'video');
  return v ? { pli: v.pliCount ?? 0, key: v.keyFramesDecoded ?? 0, decoded: v.framesDecoded ?? 0, dropped: v.framesDropped ?? 0,
               bytes: v.bytesReceived ?? 0 } : null;
});
const sinkLines = () => {
  const requested = server.log.filter((l) => l.includes('keyframe requested')).length;
  const merged = server.log.filter((l) => l.includes('keyframe request merged')).length;
  return { requested, merged };
};

const sample = async () => ({ t: Date.now(), sink: sinkLines(), v: await Promise.all(viewers.map((x) => x.opened.page.evaluate(counters))) });
const series = [await sample()];
for (let s = 1; s <= WATCH_S; s++) {
  await sleep(1000 - ((Date.now() - series[0].t) % 1000));
  const now = await sample();
  const prev = series.at(-1);
  series.push(now);
  const d = (f) => now.v.map((x, i) => f(x) - f(prev.v[i]));
  log(`${String(s).padStart(3)} s: sink +${now.sink.requested - prev.sink.requested} forced, +${now.sink.merged - prev.sink.merged} merged; ` +
      viewers.map((x, i) => `${x.label} +${d((c) => c.pli)[i]} PLI +${d((c) => c.key)[i]} key +${d((c) => c.dropped)[i]} dropped +${d((c) => c.decoded)[i]} decoded`).join('; '));
}

function rates(from, to) {
  const secs = (to.t - from.t) / 1000;
  const r = (x) => (x / secs).toFixed(2);
  return `over ${secs.toFixed(1)} s: keyframes forced ${r(to.sink.requested - from.sink.requested)}/s, requests merged ` +
    `${r(to.sink.merged - from.sink.merged)}/s; ` +
    viewers.map((x, i) => `${x.label}: PLI sent ${r(to.v[i].pli - from.v[i].pli)}/s, keyframes decoded ${r(to.v[i].key - from.v[i].key)}/s, ` +
      `frames dropped ${r(to.v[i].dropped - from.v[i].dropped)}/s, decoded ${r(to.v[i].decoded - from.v[i].decoded)}/s, ` +
      `${Math.round((to.v[i].bytes - from.v[i].bytes) * 8 / secs / 1000)} kbit/s`).join('; ');
}
record('whole-watch', true, rates(series[0], series.at(-1)));
if (series.length > 6) {
  const from = series[5], to = series.at(-1), secs = (to.t - from.t) / 1000;
  const plis = viewers.map((x, i) => (to.v[i].pli - from.v[i].pli) / secs);
  const forced = (to.sink.requested - from.sink.requested) / secs;
  record('after-5-s', forced <= MAX_RATE && plis.every((p) => p <= MAX_RATE), rates(from, to) +
         ` (at most ${MAX_RATE}/s of PLI and of forced keyframes)`);
}

for (const x of viewers) await x.opened.close().catch(() => {});
await stopServer(server, 'SIGTERM', 'the viewers gone');
for (const b of Object.values(browsers)) await withTimeout(b.close(), 10_000, `closing ${b.name}`).catch((e) => log(e.message));
finish();
