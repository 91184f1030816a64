// Live board: a ping over the WebSocket means "this board changed"; the page fetches its fragment again
// through the normal (permission-checked) view, once at the ping and once a second later, so that a change
// inside the server's one-second throttle window is still shown. Without JavaScript the page reloads itself.
(function () {
  const board = document.getElementById("board");
  if (!board || !("WebSocket" in window)) return;
  let trailing = null, delay = 1000;
  async function refresh() {
    const reply = await fetch(board.dataset.boardUrl, { credentials: "same-origin" });
    if (reply.ok) board.innerHTML = await reply.text(); // our own server-rendered, escaped fragment
  }
  function onPing() {
    refresh();
    clearTimeout(trailing);
    trailing = setTimeout(refresh, 1100);
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + board.dataset.socket);
    socket.onmessage = (event) => { try { if (JSON.parse(event.data).type === "board.changed") onPing(); } catch (e) {} };
    socket.onopen = () => { delay = 1000; };
    socket.onclose = () => { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  connect();
})();
