/* robot-webrtc
 * Copyright (C) 2026 robot-webrtc contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* rw-cable: a network cable with a delay, for the netns test bed (this
 * kernel has no netem).
 *
 *   rw-cable NETNS-A IFNAME-A NETNS-B IFNAME-B DELAY-MS
 *
 * Makes a TAP device IFNAME-A in network namespace NETNS-A and IFNAME-B in
 * NETNS-B (names as `ip netns` knows them), and passes every Ethernet frame
 * from one to the other DELAY-MS later, in order, until SIGTERM or SIGINT.
 * The devices go away with the process. It prints "ready" once both exist.
 * At most MAX_QUEUED frames wait per direction; more are dropped (and
 * counted on exit), as a full queue does. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME 9216          /* a jumbo frame: TAP frames are MTU-sized */
#define MAX_QUEUED 1024

typedef struct
{
  unsigned char *data;
  size_t len;
  long long due_us;
} Frame;

typedef struct
{
  int in, out;                  /* TAP fds: read from in, write to out */
  Frame frames[MAX_QUEUED];
  unsigned head, count;
  unsigned long passed, dropped;
} Direction;

static volatile sig_atomic_t stop;

static void
on_signal (int sig)
{
  (void) sig;
  stop = 1;
}

static long long
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A TAP device named @name in the namespace /run/netns/@netns; the calling
 * thread returns to its own namespace. */
static int
open_tap (const char *netns, const char *name)
{
  char path[256];
  struct ifreq ifr;
  int own, ns, fd;

  snprintf (path, sizeof path, "/run/netns/%s", netns);
  own = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ns = open (path, O_RDONLY | O_CLOEXEC);
  if (own < 0 || ns < 0 || setns (ns, CLONE_NEWNET) < 0) {
    fprintf (stderr, "rw-cable: cannot enter network namespace %s: %s\n",
        netns, strerror (errno));
    exit (1);
  }
  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  memset (&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy (ifr.ifr_name, name, IFNAMSIZ - 1);
  if (fd < 0 || ioctl (fd, TUNSETIFF, &ifr) < 0) {
    fprintf (stderr, "rw-cable: cannot make TAP device %s in %s: %s\n", name,
        netns, strerror (errno));
    exit (1);
  }
  if (setns (own, CLONE_NEWNET) < 0) {
    fprintf (stderr, "rw-cable: cannot return to its own namespace: %s\n",
        strerror (errno));
    exit (1);
  }
  close (own);
  close (ns);
  return fd;
}

/* Reads what @d's input has, queueing each frame @delay_us later. */
static void
take (Direction * d, long long delay_us)
{
  for (;;) {
    Frame *f;
    ssize_t n;

    if (d->count == MAX_QUEUED) {
      unsigned char scratch[MAX_FRAME];

      if (read (d->in, scratch, sizeof scratch) <= 0)
        return;
      d->dropped++;
      continue;
    }
    f = &d->frames[(d->head + d->count) % MAX_QUEUED];
    if (f->data == NULL && (f->data = malloc (MAX_FRAME)) == NULL)
      return;
    n = read (d->in, f->data, MAX_FRAME);
    if (n <= 0)
      return;
    f->len = (size_t) n;
    f->due_us = now_us () + delay_us;
    d->count++;
  }
}

/* Writes the frames that are due; returns microseconds until the next one,
 * or -1 when none waits. */
static long long
give (Direction * d)
{
  long long now = now_us ();

  while (d->count > 0) {
    Frame *f = &d->frames[d->head];

    if (f->due_us > now)
      return f->due_us - now;
    /* a full device queue drops the frame, as a wire would */
    if (write (d->out, f->data, f->len) < 0 && errno != EAGAIN)
      d->dropped++;
    else
      d->passed++;
    d->head = (d->head + 1) % MAX_QUEUED;
    d->count--;
  }
  return -1;
}

int
main (int argc, char *argv[])
{
  Direction *ab, *ba;
  long long delay_us;
  char *end;

  if (argc != 6) {
    fprintf (stderr, "usage: rw-cable NETNS-A IFNAME-A NETNS-B IFNAME-B "
        "DELAY-MS\n");
    return 2;
  }
  delay_us = strtoll (argv[5], &end, 10) * 1000;
  if (*end != '\0' || delay_us < 0 || delay_us > 10 * 1000 * 1000) {
    fprintf (stderr, "rw-cable: DELAY-MS must be 0 to 10000, got '%s'\n",
        argv[5]);
    return 2;
  }

  ab = calloc (1, sizeof *ab);
  ba = calloc (1, sizeof *ba);
  if (ab == NULL || ba == NULL)
    return 1;
  ab->in = ba->out = open_tap (argv[1], argv[2]);
  ba->in = ab->out = open_tap (argv[3], argv[4]);

  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);
  printf ("ready\n");
  fflush (stdout);

  while (!stop) {
    struct pollfd fds[2] = {
      {ab->in, POLLIN, 0}, {ba->in, POLLIN, 0}
    };
    long long wait_ab = give (ab), wait_ba = give (ba), wait_us = -1;
    int timeout_ms;

    if (wait_ab >= 0)
      wait_us = wait_ab;
    if (wait_ba >= 0 && (wait_us < 0 || wait_ba < wait_us))
      wait_us = wait_ba;
    timeout_ms = wait_us < 0 ? 1000 : (int) ((wait_us + 999) / 1000);
    if (poll (fds, 2, timeout_ms) < 0 && errno != EINTR)
      break;
    if (fds[0].revents & POLLIN)
      take (ab, delay_us);
    if (fds[1].revents & POLLIN)
      take (ba, delay_us);
  }

  fprintf (stderr, "rw-cable: %s->%s %lu frames (%lu dropped), %s->%s %lu "
      "frames (%lu dropped)\n", argv[2], argv[4], ab->passed, ab->dropped,
      argv[4], argv[2], ba->passed, ba->dropped);
  for (unsigned i = 0; i < MAX_QUEUED; i++) {
    free (ab->frames[i].data);
    free (ba->frames[i].data);
  }
  free (ab);
  free (ba);
  return 0;
}
