// One browser's viewer page watching the daemon while nftables drops a share of the UDP packets
// each way (issue 12, "Loss resilience"): frames painted (requestVideoFrameCallback), the longest
// gap and the freezes of 300 ms or more, the inbound video's counters (NACKs, PLIs, packets lost
// and retransmitted, FEC), and the bytes the daemon sent per second, counted by nftables before
// its drops. DESIGN.md §4.11's failure (frames decoded, the <video> never painted) is a FAIL.
//
//   sudo RW_SERVER=build/src/robot-webrtc-server tests/browser/run-in-netns.sh node tests/browser/loss-watch.mjs
//   sudo RW_BROWSER=firefox RW_SERVER_ARGS="--retransmissions false" RW_SERVER=… tests/browser/run-in-netns.sh node tests/browser/loss-watch.mjs
//
// Env: RW_SERVER (daemon executable, required), RW_BROWSER (chromium, the default, or firefox),
//      RW_CODEC (vp8, the default, or h264), RW_LOSS_PERCENT (packets dropped each way, default 2), RW_WATCH_S (seconds watched once
//      the video plays, default 30), RW_SERVER_ARGS (more daemon arguments, space-separated, e.g.
//      "--retransmissions false" or "--fec-percentage 20"), RW_LOSS_ASSERT=1 (issue 12's target,
//      at least 28 fps and no freeze of 300 ms or more, is a FAIL when missed; otherwise it is
//      printed), RW_CHROMIUM, RW_FIREFOX (the browsers' executables).
// Needs root and nft (nftables): run it through run-in-netns.sh, whose private namespace the
// rules live in. The daemon's media ports are --port-range 20000-20099 (below the kernel's
// ephemeral ports, so no browser port is in it); the rules drop RW_LOSS_PERCENT % of the UDP
// packets from those ports (the daemon's media, RTX, FEC and RTCP) and of those to them (the
// browser's RTCP: receiver reports, NACKs, PLIs), ICE and DTLS included, from the start.
// Asserted: the video plays, at least 28 frames a second are decoded (lost packets repaired), and
// the <video> paints at least half of them. Issue 12's target on the painted frames is printed
// (asserted with RW_LOSS_ASSERT=1). The line "RESULT …" has every number on one line.

import { execFileSync } from 'node:child_process';
import {
  BROWSER, BROWSER_TITLE, fatal, finish, httpRequest, iceAddresses, launchBrowser, log, onCleanup, openPage,
  prerequisites, printConsole, record, sleep, startRun, startServer, stopServer, withTimeout,
} from './common.mjs';

const LOSS = Number(process.env.RW_LOSS_PERCENT ?? 2);
const WATCH_S = Number(process.env.RW_WATCH_S || 30);
const ASSERT = process.env.RW_LOSS_ASSERT === '1';
const PLAY_MS = 15_000;
const PORTS = '20000-20099';
const TARGET_FPS = 28, FREEZE_MS = 300;
const EXTRA = (process.env.RW_SERVER_ARGS || '').split(/\s+/).filter(Boolean);
const CODEC = (process.env.RW_CODEC || 'vp8').toLowerCase();

startRun({ title: `loss watch (${BROWSER_TITLE}, ${CODEC.toUpperCase()}, ${LOSS} % each way${EXTRA.length ? ', ' + EXTRA.join(' ') : ''})`,
           totalMs: (WATCH_S + 60) * 1000 });
if (!['vp8', 'h264'].includes(CODEC)) fatal(`RW_CODEC=${CODEC}: not vp8 or h264`);
if (!(LOSS >= 0 && LOSS < 100)) fatal(`RW_LOSS_PERCENT=${process.env.RW_LOSS_PERCENT}: not 0 to 99`);
const deps = await prerequisites();

// ---- nftables in this namespace: count, then drop ----
const nft = (script) => execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
try {
  nft(`table inet rw_loss {
  counter daemon_out {}
  counter daemon_in {}
  chain out {
    type filter hook output priority 0; policy accept;
    udp sport ${PORTS} counter name daemon_out
    udp sport ${PORTS} numgen random mod 100 < ${LOSS} counter drop
    udp dport ${PORTS} counter name daemon_in
    udp dport ${PORTS} numgen random mod 100 < ${LOSS} counter drop
  }
}
`);
} catch (e) {
  fatal(`cannot add the nftables rules (needs root, nft, and run-in-netns.sh's namespace): ${e.stderr || e.message}`);
}
onCleanup(() => nft('delete table inet rw_loss\n'));
const counters = () => {
  const out = JSON.parse(execFileSync('nft', ['-j', 'list', 'table', 'inet', 'rw_loss']).toString());
  const c = {};
  for (const item of out.nftables) {
    if (item.counter) c[item.counter.name] = { packets: item.counter.packets, bytes: item.counter.bytes };
  }
  const drops = out.nftables.filter((i) => i.rule && i.rule.expr.some((x) => 'drop' in x))
    .map((i) => i.rule.expr.find((x) => x.counter)?.counter.packets ?? 0);
  return { out: c.daemon_out, in: c.daemon_in, droppedOut: drops[0] ?? 0, droppedIn: drops[1] ?? 0, t: Date.now() };
};

const server = await startServer(deps.serverExe, [
  '--port', '0', '--bind', '127.0.0.1', ...iceAddresses().flatMap((a) => ['--ice-address', a]),
  '--port-range', PORTS, '--width', '640', '--height', '480', '--framerate', '30', '--bitrate', '1000000',
  '--codec', CODEC, ...EXTRA,
]);
const browser = await launchBrowser(deps);
const opened = await openPage(browser, `${server.url}/`);
const { page } = opened;
const t0 = Date.now();
try {
  await page.waitForFunction(() => window.rwViewer && window.rwViewer.state === 'connected' && window.rwViewer.videoWidth() > 0,
                             null, { timeout: PLAY_MS, polling: 50 });
} catch {
  fatal(`no video within ${PLAY_MS / 1000} s`);
}
record('plays', true, `video after ${Date.now() - t0} ms`);

// in the page: every painted frame's time, from now on
await page.evaluate(() => {
  const v = window.rwViewer.video;
  const w = window.rwLoss = { times: [], presented: 0 };
  const cb = (now, meta) => { w.times.push(now); w.presented = meta.presentedFrames; v.requestVideoFrameCallback(cb); };
  v.requestVideoFrameCallback(cb);
});
const snapshot = () => page.evaluate(async () => {
  const all = await window.rwViewer.stats();
  const v = all.find((r) => r.type === 'inbound-rtp' && r.kind === 'video') || {};
  const ro = all.find((r) => r.type === 'remote-outbound-rtp' && r.kind === 'video') || {};
  const q = window.rwViewer.video.getVideoPlaybackQuality();
  const pick = (...names) => Object.fromEntries(names.map((n) => [n, v[n] ?? null]));
  return {
    painted: window.rwLoss.times.length, now: performance.now(), totalVideoFrames: q.totalVideoFrames,
    droppedVideoFrames: q.droppedVideoFrames, state: window.rwViewer.state, peerId: window.rwViewer.peerId,
    rttMs: ro.roundTripTime == null ? null : ro.roundTripTime * 1000, rttMeasurements: ro.roundTripTimeMeasurements ?? null,
    ...pick('framesDecoded', 'framesReceived', 'framesDropped', 'keyFramesDecoded', 'nackCount', 'pliCount', 'firCount',
            'packetsLost', 'packetsReceived', 'retransmittedPacketsReceived', 'fecPacketsReceived',
            'fecPacketsDiscarded', 'bytesReceived', 'freezeCount', 'totalFreezesDuration'),
  };
});

await sleep(1000);                        // the first frames after a keyframe settle
// the daemon's own count (GET /status): retransmissions asked for and resent, when they are on
const resent = async () => {
  const r = await httpRequest(`${server.url}/status`).catch(() => null);
  const peer = r?.body?.peers?.[0];
  return peer?.retransmissions ?? { requested: null, sent: null };
};
// rate control's view each second: a random 2 % loss is no congestion, so the shared encoder
// should stay at its own bitrate (printed with the bitrate below)
const rate = { minTarget: null, sources: new Set(), minRemb: null };
const sampleRate = async () => {
  const r = await httpRequest(`${server.url}/status`).catch(() => null);
  const stream = r?.body?.streams?.find((x) => x.rate_control) ?? r?.body;
  const target = stream?.rate_control?.target;
  if (typeof target === 'number') rate.minTarget = Math.min(rate.minTarget ?? target, target);
  const peer = r?.body?.peers?.[0];
  if (peer?.rate?.source) rate.sources.add(peer.rate.source);
  const remb = peer?.remb?.bitrate;
  if (typeof remb === 'number') rate.minRemb = Math.min(rate.minRemb ?? remb, remb);
};
const a = await snapshot(), ca = counters(), ra = await resent();
for (let s = 1; s <= WATCH_S; s++) {
  await sleep(1000);
  await sampleRate();
  if (s % 10 === 0) {
    const x = await snapshot();
    log(`${s} s: painted ${x.painted - a.painted}, decoded ${x.framesDecoded - a.framesDecoded}, NACK ${x.nackCount - a.nackCount}, ` +
        `PLI ${x.pliCount - a.pliCount}, lost ${x.packetsLost - a.packetsLost}, state ${x.state}`);
  }
}
const b = await snapshot(), cb = counters(), rb = await resent();
const rd = (k) => (rb[k] == null || ra[k] == null ? null : rb[k] - ra[k]);
const times = await page.evaluate(([from, to]) => window.rwLoss.times.filter((t) => t > from && t <= to), [a.now, b.now]);

const secs = (b.now - a.now) / 1000;
const gaps = [];
let prev = a.now;
for (const t of times) { gaps.push(t - prev); prev = t; }
gaps.push(b.now - prev);
const fps = times.length / secs;
const maxGap = Math.max(...gaps);
const freezes = gaps.filter((g) => g >= FREEZE_MS);
const d = (k) => (b[k] == null || a[k] == null ? null : b[k] - a[k]);
const decoded = d('framesDecoded');
const kbps = (bytes) => Math.round(bytes * 8 / ((cb.t - ca.t) / 1000) / 1000);

record('paints', times.length > 0 && times.length >= 0.5 * decoded,
       `${times.length} frames painted (requestVideoFrameCallback), ${decoded} decoded, totalVideoFrames ` +
       `+${d('totalVideoFrames')} (DESIGN §4.11: decoded but never painted)`);
// The page starts over after 3 s without a new frame: then the counters are another session's.
record('one-session', a.peerId === b.peerId,
       a.peerId === b.peerId ? `session ${a.peerId} throughout` : `the page reconnected: session ${a.peerId} became ${b.peerId}`);
// Lost packets repaired: the browser decodes (nearly) every frame. Without repair one lost packet
// stops VP8 decoding until the next keyframe.
record('decodes', decoded / secs >= TARGET_FPS,
       `${(decoded / secs).toFixed(1)} frames decoded a second (at least ${TARGET_FPS}), ${d('framesDropped')} dropped`);
const met = fps >= TARGET_FPS && freezes.length === 0;
record('loss-target', met || !ASSERT,
       `${fps.toFixed(1)} fps painted over ${secs.toFixed(1)} s, longest gap ${Math.round(maxGap)} ms, ` +
       `${freezes.length} freezes >= ${FREEZE_MS} ms (${Math.round(freezes.reduce((x, y) => x + y, 0))} ms): target ` +
       `>= ${TARGET_FPS} fps and none ${met ? 'met' : 'missed'}${ASSERT ? '' : ' (printed, not asserted)'}`);
record('repair', true,
       `NACK ${d('nackCount')} (the daemon: ${rd('requested')} packets asked for, ${rd('sent')} resent), PLI ${d('pliCount')}, FIR ${d('firCount')}, packets lost ${d('packetsLost')} of ` +
       `${d('packetsReceived')}, retransmitted received ${d('retransmittedPacketsReceived')}, FEC received ` +
       `${d('fecPacketsReceived')} (discarded ${d('fecPacketsDiscarded')}), frames dropped ${d('framesDropped')}, ` +
       `keyframes ${d('keyFramesDecoded')}, browser freezeCount ${d('freezeCount')}`);
// A browser that offers a=rtcp-xr:rcvr-rtt=all (Chromium) learns the RTT from the daemon's DLRR
// blocks (remote-outbound-rtp roundTripTime), and so how long to wait before it asks again for a
// lost retransmission; the others keep their 100 ms default.
const rttKnown = b.rttMeasurements > 0;
record('rtt', rttKnown || BROWSER !== 'chromium',
       `the browser's RTT ${b.rttMs == null ? 'unknown' : b.rttMs.toFixed(1) + ' ms'} (${b.rttMeasurements ?? 0} measurements ` +
       `from the daemon's RTCP XR DLRR${BROWSER === 'chromium' ? '' : '; asserted in Chromium only, which offers rcvr-rtt'})`);
record('bitrate', true,
       `daemon sent ${kbps(cb.out.bytes - ca.out.bytes)} kbit/s (${cb.out.packets - ca.out.packets} UDP packets, ` +
       `${cb.droppedOut - ca.droppedOut} dropped), received ${kbps(cb.in.bytes - ca.in.bytes)} kbit/s ` +
       `(${cb.droppedIn - ca.droppedIn} dropped); the browser received ${kbps(d('bytesReceived'))} kbit/s of RTP payload; ` +
       `rate control's lowest target ${rate.minTarget ?? 'unknown'} bit/s (limited by ${[...rate.sources].join(', ') || 'nothing'}), ` +
       `lowest REMB ${rate.minRemb ?? 'none'} bit/s`);
console.log(`RESULT browser=${BROWSER} codec=${CODEC} args="${EXTRA.join(' ')}" loss=${LOSS} fps=${fps.toFixed(1)} ` +
            `max_gap_ms=${Math.round(maxGap)} freezes=${freezes.length} painted=${times.length} decoded=${decoded} ` +
            `tvf=${d('totalVideoFrames')} nack=${d('nackCount')} pli=${d('pliCount')} lost=${d('packetsLost')} ` +
            `rtx=${d('retransmittedPacketsReceived')} rtx_requested=${rd('requested')} rtx_sent=${rd('sent')} fec=${d('fecPacketsReceived')} ` +
            `daemon_kbps=${kbps(cb.out.bytes - ca.out.bytes)} dropped_out=${cb.droppedOut - ca.droppedOut} ` +
            `dropped_in=${cb.droppedIn - ca.droppedIn} keyframes=${d('keyFramesDecoded')} rtt_ms=${b.rttMs?.toFixed(1) ?? null} ` +
            `reconnected=${a.peerId !== b.peerId}`);

if (a.peerId !== b.peerId) printConsole(opened);
await opened.close().catch(() => {});
await stopServer(server, 'SIGTERM', 'the viewer gone');
await withTimeout(browser.close(), 10_000, `closing ${browser.name}`).catch((e) => log(e.message));
finish();
