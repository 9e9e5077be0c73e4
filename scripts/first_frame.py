#!/usr/bin/env python3
"""Time from exec of the buyerdesk binary (no subcommand: the screen) in a
120x40 pseudo-terminal to the end of its first frame (the end of the first
synchronized update, ESC[?2026l), and to the first frame with the products (header "N products, M to order")
(the data). Usage: first_frame.py BINARY RUNS"""
import fcntl, os, select, struct, subprocess, sys, termios, time, tempfile, statistics

binary, runs = sys.argv[1], int(sys.argv[2])
env = dict(os.environ)
env.setdefault("BUYERDESK_DATA_DIR", tempfile.mkdtemp(prefix="bd-first-frame-"))
env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="bd-cfg-")
env["TERM"] = "xterm-256color"
firsts, datas = [], []
for run in range(runs):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    t0 = time.monotonic()
    p = subprocess.Popen([binary], stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    buf, first, data = b"", None, None
    deadline = t0 + 60
    while time.monotonic() < deadline and data is None:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        now = time.monotonic()
        buf += chunk
        if first is None and b"\x1b[?2026l" in buf:
            first = now - t0
        if first is not None and b"flagged" in buf:
            data = now - t0
    os.write(master, b"q")
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
    os.close(master)
    print(f"run {run}: first frame {first*1e3 if first else float('nan'):.1f} ms, "
          f"data on screen {data*1e3 if data else float('nan'):.1f} ms", flush=True)
    if first: firsts.append(first * 1e3)
    if data: datas.append(data * 1e3)
print(f"median of {runs}: first frame {statistics.median(firsts):.1f} ms, "
      f"data on screen {statistics.median(datas):.1f} ms")
