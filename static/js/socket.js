// The one WebSocket module of the site's pages (live host and phone, live boards, embedded boards, forum
// threads): connect to a same-origin path, reconnect with exponential back-off and jitter, and notice dead
// sockets — a heartbeat ping for servers that answer it, a check when a sleeping phone wakes up, a retry at
// once when the browser comes back online. Pages keep their own protocol: they get each parsed message,
// decide on close whether to try again (a close code may mean "stop": forbidden, kicked, no such game).
//
//   const socket = SiteSocket.open(path, {
//     onOpen(info) {},               // info.reconnected: back after a lost connection (fetch what was missed)
//     onMessage(message) {},         // parsed JSON; unparsable frames are dropped
//     onClose(event) { return true }, // false: do not reconnect (the page shows why)
//     onReconnecting() {},           // a retry is scheduled
//     heartbeat: false,              // true: send {"type": "ping"} every 20 s, reconnect after 45 s of silence
//     baseDelay: 500, maxDelay: 10000, jitter: 400,
//   });
//   socket.send({ type: "..." }) → true when sent; socket.reconnectNow(); socket.stop(); socket.isOpen()
(function () {
  "use strict";
  const HEARTBEAT_MS = 20000;
  const SILENCE_MS = 45000;
  const WAKE_CHECK_MS = 4000;

  function open(path, options) {
    const o = Object.assign(
      {
        onOpen() {},
        onMessage() {},
        onClose() { return true; },
        onReconnecting() {},
        heartbeat: false,
        baseDelay: 500,
        maxDelay: 10000,
        jitter: 400,
      },
      options || {}
    );
    let socket = null;
    let retries = 0;
    let retryTimer = null;
    let lastHeard = 0;
    let stopped = false;
    let lost = false;

    function connect() {
      clearTimeout(retryTimer);
      if (stopped) return;
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const ws = new WebSocket(scheme + location.host + path);
      socket = ws;
      lastHeard = performance.now();
      ws.addEventListener("open", () => {
        if (ws !== socket) return;
        o.onOpen({ reconnected: lost, socket: ws });
        lost = false;
        retries = 0;
      });
      ws.addEventListener("message", (event) => {
        if (ws !== socket) return; // a stale connection, replaced by a newer one of ours
        lastHeard = performance.now();
        let message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        o.onMessage(message);
      });
      ws.addEventListener("close", (event) => {
        if (ws !== socket) return;
        socket = null;
        if (stopped) return;
        if (o.onClose(event) === false) { stopped = true; return; }
        lost = true;
        o.onReconnecting();
        const delay = Math.min(o.maxDelay, o.baseDelay * 2 ** retries) + Math.random() * o.jitter;
        retries += 1;
        retryTimer = setTimeout(connect, delay);
      });
    }

    function isOpen() {
      return socket !== null && socket.readyState === WebSocket.OPEN;
    }
    function send(message) {
      if (!isOpen()) return false;
      socket.send(JSON.stringify(message));
      return true;
    }
    function reconnectNow() {
      if (stopped) return;
      if (socket) { const old = socket; socket = null; old.close(); }
      lost = true;
      retries = 0;
      o.onReconnecting();
      connect();
    }
    function stop() {
      stopped = true;
      clearTimeout(retryTimer);
      if (socket) { const old = socket; socket = null; old.close(); }
    }

    if (o.heartbeat) {
      setInterval(() => {
        if (!isOpen()) return;
        if (performance.now() - lastHeard > SILENCE_MS) { reconnectNow(); return; }
        send({ type: "ping" });
      }, HEARTBEAT_MS);
    }
    window.addEventListener("online", () => { if (!socket) reconnectNow(); });
    // A device that slept may hold a dead socket: on wake, reconnect at once, or (heartbeat) check the line.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible" || stopped) return;
      if (!isOpen()) { if (!socket) reconnectNow(); return; }
      if (!o.heartbeat) return;
      const before = lastHeard;
      send({ type: "ping" });
      setTimeout(() => { if (lastHeard === before) reconnectNow(); }, WAKE_CHECK_MS);
    });

    connect();
    return { send: send, reconnectNow: reconnectNow, stop: stop, isOpen: isOpen };
  }

  window.SiteSocket = { open: open };
})();
