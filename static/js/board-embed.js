// Embedded board: on a ping, reload the (tiny) embed page itself, once now and once a second later.
(function () {
  const board = document.getElementById("board");
  if (!board || !("WebSocket" in window)) return;
  let trailing = null, delay = 1000;
  const reload = () => location.reload();
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + board.dataset.socket);
    socket.onmessage = () => { clearTimeout(trailing); trailing = setTimeout(reload, 1100); };
    socket.onopen = () => { delay = 1000; };
    socket.onclose = () => { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  connect();
})();
