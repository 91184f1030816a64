// Embedded board: on a ping, reload the (tiny) embed page itself, once now and once a second later.
(function () {
  const board = document.getElementById("board");
  if (!board || !("WebSocket" in window) || !window.SiteSocket) return;
  let trailing = null;
  const reload = () => location.reload();
  SiteSocket.open(board.dataset.socket, {
    baseDelay: 1000,
    maxDelay: 30000,
    jitter: 0,
    onMessage() { clearTimeout(trailing); trailing = setTimeout(reload, 1100); },
  });
})();
