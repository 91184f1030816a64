// Live board: a ping over the WebSocket means "this board changed"; the page fetches its fragment again
// through the normal (permission-checked) view, once at the ping and once a second later, so that a change
// inside the server's one-second throttle window is still shown. Without JavaScript the page reloads itself.
(function () {
  const board = document.getElementById("board");
  if (!board || !("WebSocket" in window) || !window.SiteSocket) return;
  let trailing = null;
  async function refresh() {
    const reply = await fetch(board.dataset.boardUrl, { credentials: "same-origin" });
    if (reply.ok) board.innerHTML = await reply.text(); // our own server-rendered, escaped fragment
  }
  function onPing() {
    refresh();
    clearTimeout(trailing);
    trailing = setTimeout(refresh, 1100);
  }
  SiteSocket.open(board.dataset.socket, {
    baseDelay: 1000,
    maxDelay: 30000,
    jitter: 0,
    onMessage(message) { if (message.type === "board.changed") onPing(); },
  });
})();
